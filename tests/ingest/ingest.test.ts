import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileError } from '../../src/contract/evidence';
import { EvidenceError, toFileError } from '../../src/main/errors';
import {
  DEFAULT_INGEST_OPTIONS,
  decodeImage,
  ingestFile,
  IngestRefusal,
  sha256File,
  walkEvidence,
  type WalkEntry,
} from '../../src/main/ingest/index';
import { BAD_FILE_NAMES, makeBadFiles, makeJpeg, type BadFile } from '../fixtures/images';
import { openUpForNobody, runAsNobody } from './unprivileged';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-ingest-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const badDir = path.join(dir, 'bad');
const badFiles = makeBadFiles(badDir);

type Outcome = { stage: 'ok'; warnings: string[] } | { stage: 'ingest' | 'decode'; error: FileError };

/** What the engine does with one file: ingest, then decode the very bytes ingest read. */
async function process1(file: string): Promise<Outcome> {
  let ingested;
  try {
    ingested = await ingestFile(file);
  } catch (err) {
    assert.ok(err instanceof EvidenceError, `ingest threw a non-EvidenceError: ${err}`);
    return { stage: 'ingest', error: toFileError(err) };
  }
  try {
    const img = await decodeImage(ingested.bytes, { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels, fileName: ingested.metadata.fileName });
    assert.equal(img.channels, 3);
    assert.equal(img.data.length, img.width * img.height * 3);
    assert.equal(img.width, ingested.metadata.displayWidth);
    assert.equal(img.height, ingested.metadata.displayHeight);
  } catch (err) {
    assert.ok(err instanceof EvidenceError, `decode threw a non-EvidenceError: ${err}`);
    return { stage: 'decode', error: toFileError(err) };
  }
  return { stage: 'ok', warnings: ingested.metadata.warnings };
}

function assertOutcome(name: string, bad: BadFile, outcome: Outcome): void {
  const expect = bad.expect;
  if (expect.stage === 'ok') {
    assert.equal(outcome.stage, 'ok', `${name}: ${JSON.stringify(outcome)}`);
    if (expect.warning && outcome.stage === 'ok') {
      assert.ok(outcome.warnings.some((w) => expect.warning!.test(w)), `${name} warnings: ${outcome.warnings.join(' | ')}`);
    }
    return;
  }
  if (outcome.stage === 'ok') assert.fail(`${name}: expected ${expect.code} at ${expect.stage}, but it was accepted`);
  assert.equal(outcome.stage, expect.stage, `${name}: ${JSON.stringify(outcome)}`);
  assert.equal(outcome.error.code, expect.code, `${name}: ${outcome.error.message}`);
  assert.match(outcome.error.message, expect.message, name);
}

for (const name of BAD_FILE_NAMES) {
  if (name === 'loop') continue; // a folder: covered by the walk test below
  test(`bad file ${name}: right outcome and a helpful message`, async (t) => {
    const bad = (await badFiles)[name];
    if (bad.skip) {
      if (name !== 'unreadable.jpg') {
        t.skip(bad.skip);
        return;
      }
      // Root ignores chmod 000: check for real as an unprivileged user, with a readable control.
      openUpForNobody(dir);
      openUpForNobody(badDir);
      const run = runAsNobody(
        `const out = [];
         for (const p of args) {
           try { await ingest.ingestFile(p); out.push({ ok: true }); }
           catch (e) { out.push({ code: e.code, message: e.message }); }
         }
         return out;`,
        [(await badFiles)['grey.jpg'].path, bad.path],
      );
      if ('skip' in run) {
        t.skip(run.skip);
        return;
      }
      const [control, locked] = run.result as [{ ok?: boolean }, FileError];
      assert.deepEqual(control, { ok: true }, 'the unprivileged user can read an ordinary file in the same folder');
      assertOutcome(name, bad, { stage: 'ingest', error: locked });
      return;
    }
    assertOutcome(name, bad, await process1(bad.path));
  });
}

test('the loop folder is reported once by the walk, and the walk of the whole folder ends', async () => {
  const bad = await badFiles;
  const entries: WalkEntry[] = [];
  for await (const entry of walkEvidence([badDir])) entries.push(entry);
  const errors = entries.filter((e) => e.error);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  const expect = bad.loop.expect;
  assert.ok(expect.stage === 'walk');
  assert.equal(errors[0].path, bad.loop.path);
  assert.equal(errors[0].error!.code, expect.code);
  assert.match(errors[0].error!.message, expect.message);
  // Every bad file is a candidate: the walk does not hide non-images or empty files.
  const listed = new Set(entries.filter((e) => !e.error).map((e) => path.basename(e.path)));
  for (const name of BAD_FILE_NAMES) if (name !== 'loop') assert.ok(listed.has(name), `${name} listed`);
});

test('evidence files are never modified: content hash, mtime and mode unchanged after ingest + decode', async () => {
  const bad = await badFiles;
  const good = await makeJpeg(path.join(dir, 'good.jpg'), { width: 200, height: 150, exif: { make: 'Canon' } });
  const files = [good, ...BAD_FILE_NAMES.filter((n) => n !== 'loop').map((n) => bad[n].path)];
  const before = await Promise.all(
    files.map(async (f) => ({ stat: fs.statSync(f), sha: await sha256File(f).catch(() => 'unreadable') })),
  );
  for (const f of files) await process1(f);
  for (const [i, f] of files.entries()) {
    const stat = fs.statSync(f);
    assert.equal(stat.mtimeMs, before[i].stat.mtimeMs, `${f} mtime`);
    assert.equal(stat.mode, before[i].stat.mode, `${f} mode`);
    assert.equal(stat.size, before[i].stat.size, `${f} size`);
    assert.equal(await sha256File(f).catch(() => 'unreadable'), before[i].sha, `${f} content`);
  }
});

test('refusals after reading still identify the bytes examined (sha256)', async () => {
  const bad = await badFiles;
  for (const name of ['text.jpg', 'huge-header.png'] as const) {
    const err = await ingestFile(bad[name].path).then(
      () => assert.fail(`${name} should be refused`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof IngestRefusal, name);
    assert.equal(err.sha256, await sha256File(bad[name].path));
    assert.equal(err.sizeBytes, fs.statSync(bad[name].path).size);
  }
});

test('the pixel limit is checked from the header before decoding, with the configured limit', async () => {
  const file = await makeJpeg(path.join(dir, 'limit.jpg'), { width: 300, height: 200 });
  await assert.rejects(ingestFile(file, { maxPixels: 59_999 }), (err: EvidenceError) => {
    assert.equal(err.code, 'TOO_MANY_PIXELS');
    assert.match(err.message, /300 × 200 pixels.*limit of 59999 pixels/s);
    return true;
  });
  const ok = await ingestFile(file, { maxPixels: 60_000 });
  assert.equal(ok.metadata.width * ok.metadata.height, 60_000);
});

test('files over the size limit are refused without being read, with the way to raise the limit', async () => {
  const file = await makeJpeg(path.join(dir, 'large.jpg'), { width: 200, height: 150 });
  await assert.rejects(ingestFile(file, { maxFileBytes: 1024 }), (err: EvidenceError) => {
    assert.equal(err.code, 'TOO_LARGE');
    assert.match(err.message, /larger than the limit of 0\.0 MiB.*maxFileBytes/s);
    assert.ok(!(err instanceof IngestRefusal), 'refused before reading: no hash');
    return true;
  });
  assert.equal(DEFAULT_INGEST_OPTIONS.maxFileBytes, 512 * 1024 * 1024);
  assert.equal(DEFAULT_INGEST_OPTIONS.maxPixels, 100_000_000);
});

test('not a file, missing file, PDF content', async (t) => {
  await assert.rejects(ingestFile(badDir), { code: 'NOT_A_FILE' });
  await assert.rejects(ingestFile(path.join(dir, 'missing.jpg')), (err: EvidenceError) => {
    assert.equal(err.code, 'UNREADABLE');
    assert.match(err.message, /does not exist/);
    return true;
  });
  const pdf = path.join(dir, 'report.jpg');
  fs.writeFileSync(pdf, '%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n');
  await assert.rejects(ingestFile(pdf), (err: EvidenceError) => {
    assert.equal(err.code, 'NOT_AN_IMAGE');
    assert.match(err.message, /report\.jpg is not an image: its content looks like a PDF document/);
    return true;
  });

  const fifo = path.join(dir, 'pipe.jpg');
  if (spawnSync('mkfifo', [fifo]).status !== 0) {
    t.diagnostic('mkfifo unavailable: named-pipe case not run');
    return;
  }
  // Opening a FIFO would block forever; ingest must refuse it from stat alone.
  await assert.rejects(ingestFile(fifo), { code: 'NOT_A_FILE' });
});
