import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AnalysisRecord } from '../../src/contract/evidence';
import { makeBadFiles, makeJpeg } from '../fixtures/images';
import { runCli, spawnCli } from './run';
import { SHIPPED_DETECTORS } from '../config';

function readRecords(path: string): AnalysisRecord[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AnalysisRecord);
}

describe('provenance analyze', () => {
  test('writes one JSON line per file, with per-file errors for bad files, and a correct summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-analyze-'));
    const evidence = join(dir, 'evidence');
    mkdirSync(evidence);
    const good: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = join(evidence, `photo-${i}.jpg`);
      await makeJpeg(p, { width: 200 + i * 16, height: 150, seed: i, quality: 85 });
      good.push(p);
    }
    const bad = await makeBadFiles(join(evidence, 'bad'));
    const mtimes = new Map(good.map((p) => [p, statSync(p).mtimeMs]));
    const out = join(dir, 'results.jsonl');

    const r = runCli(['analyze', evidence, '--out', out, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const records = readRecords(out);
    const byPath = new Map(records.map((rec) => [rec.path, rec]));
    assert.equal(byPath.size, records.length, 'no file appears twice');

    for (const p of good) {
      const rec = byPath.get(p);
      assert.ok(rec, `record for ${p}`);
      assert.equal(rec.status, 'ok');
      assert.equal(rec.sha256, createHash('sha256').update(readFileSync(p)).digest('hex'));
      assert.equal(rec.metadata?.format, 'jpeg');
      assert.equal(rec.metadata?.jpegQuality?.quality, 85);
      assert.ok(rec.ela && rec.ela.stats.max > 0, 'ELA statistics');
      assert.ok(rec.ela.heatmapPath && existsSync(rec.ela.heatmapPath), 'heatmap written');
      assert.ok(rec.ela.previewPath && existsSync(rec.ela.previewPath), 'preview written');
      assert.equal(rec.scores?.length, 2 + SHIPPED_DETECTORS.length, 'both fixture models and the installed detectors scored');
      for (const s of rec.scores!) {
        assert.ok(s.score >= 0 && s.score <= 1);
        assert.ok(['cpu', 'webgpu'].includes(s.provider), `provider recorded: ${s.provider}`);
        assert.equal(s.fixture, !SHIPPED_DETECTORS.includes(s.modelId));
      }
      assert.equal(statSync(p).mtimeMs, mtimes.get(p), 'evidence not modified');
    }

    let expectedErrors = 0;
    for (const [name, file] of Object.entries(bad)) {
      const rec = byPath.get(file.path);
      assert.ok(rec, `record for bad file ${name}`);
      if (file.skip) continue;
      if (file.expect.stage === 'ok') {
        assert.equal(rec.status, 'ok', `${name}: ${rec.error?.message}`);
        if (file.expect.warning) assert.ok(rec.metadata!.warnings.some((w) => (file.expect as { warning: RegExp }).warning.test(w)), `${name} warning`);
      } else {
        expectedErrors += 1;
        assert.equal(rec.status, 'error', name);
        assert.equal(rec.error?.code, file.expect.code, `${name}: ${rec.error?.message}`);
        assert.match(rec.error!.message, file.expect.message);
      }
    }
    const total = good.length + Object.keys(bad).length;
    assert.equal(records.length, total);
    // A skipped case (unreadable.jpg when running as root) is read normally and counts as analysed.
    assert.match(r.stdout, new RegExp(`^${total} files: ${total - expectedErrors} analysed, ${expectedErrors} failed, 0 skipped`, 'm'));
    assert.match(r.stdout, /fixture-texture-cnn\s+(cpu|webgpu)\s+\d+/);
    assert.match(r.stdout, /TEST FIXTURE/);
    assert.match(r.stdout, /TOO_MANY_PIXELS\s+1/);
  });

  test('re-running with the same --out resumes: finished files are skipped, new ones analysed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-resume-'));
    const evidence = join(dir, 'evidence');
    mkdirSync(evidence);
    for (let i = 0; i < 4; i++) await makeJpeg(join(evidence, `a-${i}.jpg`), { width: 96, height: 96, seed: i });
    const out = join(dir, 'r.jsonl');
    assert.equal(runCli(['analyze', evidence, '--out', out, '--quiet', '--no-ela']).status, 0);
    assert.equal(readRecords(out).length, 4);

    const again = runCli(['analyze', evidence, '--out', out, '--quiet', '--no-ela']);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /4 files: 0 analysed, 0 failed, 4 skipped/);
    assert.equal(readRecords(out).length, 4);

    await makeJpeg(join(evidence, 'new.jpg'), { width: 96, height: 96, seed: 99 });
    appendFileSync(out, '{"path":"torn'); // a line cut off by a crash mid-write
    const third = runCli(['analyze', evidence, '--out', out, '--quiet', '--no-ela']);
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stdout, /5 files: 1 analysed, 0 failed, 4 skipped/);
    const records = readRecords(out);
    assert.equal(records.length, 5, 'the torn line was dropped, the new file appended');
  });

  test('killed with SIGKILL mid-batch, a re-run completes the rest without repeating finished files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-kill-'));
    const evidence = join(dir, 'evidence');
    mkdirSync(evidence);
    const n = 40;
    for (let i = 0; i < n; i++) await makeJpeg(join(evidence, `k-${String(i).padStart(2, '0')}.jpg`), { width: 320, height: 240, seed: i });
    const out = join(dir, 'k.jsonl');
    const child = spawnCli(['analyze', evidence, '--out', out, '--quiet', '--concurrency', '1', '--batch', '1']);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const lines = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).length : 0;
        if (lines >= 3) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the analysis finished before it could be killed; make the batch larger'));
      });
    });
    await new Promise((r) => child.on('exit', r));
    const before = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
    assert.ok(before < n, `killed part-way (${before} of ${n})`);

    const rerun = runCli(['analyze', evidence, '--out', out, '--quiet']);
    assert.equal(rerun.status, 0, rerun.stderr);
    const records = readRecords(out);
    const paths = records.map((r) => r.path);
    assert.equal(new Set(paths).size, n, 'every file has a record');
    assert.equal(paths.length, n, 'no file was recorded twice');
    assert.ok(records.every((r) => r.status === 'ok'));
  });

  test('usage errors exit 2 with help; unknown model exits 1 naming the available ones', () => {
    const noOut = runCli(['analyze', '/tmp']);
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /--out is required/);
    const badEp = runCli(['analyze', '/tmp', '--out', '/tmp/x.jsonl', '--ep', 'tpu']);
    assert.equal(badEp.status, 2);
    const dir = mkdtempSync(join(tmpdir(), 'cli-model-'));
    const unknown = runCli(['analyze', dir, '--out', join(dir, 'o.jsonl'), '--models', 'nope']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /No model "nope".*fixture-texture-cnn/);
  });

  test('models lists the fixtures as TEST FIXTURE and the execution providers', () => {
    const r = runCli(['models']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /fixture-texture-cnn\s+\S+\s+generated\s+ok/);
    assert.match(r.stdout, /TEST FIXTURE/);
    assert.match(r.stdout, /execution providers in this build: .*cpu/);
  });
});
