// The `provenance evaluate` command as a user runs it: a real process, real folders, exit codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DatasetSplit, EvaluationResult } from '../../src/contract/evaluation';
import { openCaseDatabase } from '../../src/main/store';
import { listEvaluations, listSplits } from '../../src/main/store/evaluations';
import { makeCnnDetectionSet, removeDir, tempDir, tinyJpeg } from './datasets';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(repo, 'bin', 'provenance.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function provenance(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'evaluate', ...args], { cwd: repo, env: { ...process.env, PROVENANCE_EP: 'cpu' } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

let work: string;
let dataset: string;
before(async () => {
  work = tempDir('pl-eval-cli-');
  dataset = await makeCnnDetectionSet(path.join(work, 'set'), { generators: ['biggan', 'stylegan'], perClass: 5, size: 64 });
});
after(() => removeDir(work));

describe('provenance evaluate', () => {
  it('shows the layout, prints the per-generator table, writes JSON and Markdown, reports throughput', async () => {
    const out = path.join(work, 'results', 'eval.json');
    const md = path.join(work, 'results', 'eval.md');
    const run = await provenance(dataset, '--models', 'fixture-texture-cnn', '--out', out, '--markdown', md, '--bootstrap', '100', '--threshold', '0.35', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /layout {3}CNNDetection \/ ForenSynths/);
    assert.match(run.stdout, /images {3}20: 10 real, 10 fake; 2 generator\(s\)\/source\(s\)/);
    assert.match(run.stdout, /== fixture-texture-cnn 1\.0\.0 on cpu — TEST FIXTURE/);
    assert.match(run.stdout, /^Generator\s+n\s+Real\s+Fake\s+Acc\s+Real acc\s+Fake acc\s+AP$/m);
    assert.match(run.stdout, /^biggan\s+10\s+5\s+5\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m);
    assert.match(run.stdout, /^stylegan\s+10\s+5\s+5\s/m);
    assert.match(run.stdout, /^Mean\s+20\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+ mAP$/m);
    assert.match(run.stdout, /throughput: 20 images in .* = [\d.]+ images\/s on cpu/);

    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as EvaluationResult;
    assert.equal(result.items.length, 20);
    assert.equal(result.threshold, 0.35);
    assert.equal(result.bootstrap?.replicates, 100);
    // The printed mean row is the result's table.
    const mean = result.perModel[0].table!.mean;
    assert.match(run.stdout, new RegExp(`^Mean\\s+20\\s+${(mean.accuracy * 100).toFixed(1)}\\s.*${(mean.ap! * 100).toFixed(1)} mAP$`, 'm'));
    const report = fs.readFileSync(md, 'utf8');
    assert.match(report, /^# Detector evaluation/);
    assert.match(report, /\| Generator \| n \| Real \| Fake \| Acc \| Real acc \| Fake acc \| AP \|/);
    assert.match(report, /\| \*\*Mean\*\* \| 20 \|/);
    assert.match(report, /\| \*\*Actual real\*\* \| \d+ \| \d+ \|/);
  });

  it('evaluates the validation side of a seeded group-aware split, saves the split and the case record', async () => {
    const caseDir = path.join(work, 'case');
    const store = openCaseDatabase(caseDir, { actor: 'tester' });
    store.createCase({ name: 'Validation', number: '', examiner: '', organisation: '', description: '' });
    store.close();
    const out = path.join(work, 'split-run', 'eval.json');
    const run = await provenance(dataset, '--models', 'fixture-texture-cnn', '--split-val', '0.4', '--seed', '3', '--limit', '6', '--bootstrap', '0', '--out', out, '--case', caseDir, '--quiet');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /split {4}group-aware, seed 3: train 12 \(6 real, 6 fake, 12 groups\), validation 8 \(4 real, 4 fake, 8 groups\) = 40\.0% \(asked 40%\)/);
    assert.match(run.stdout, /sample {3}6 images chosen at random \(seed 3\)/);
    const split = JSON.parse(fs.readFileSync(path.join(work, 'split-run', 'eval.split.json'), 'utf8')) as DatasetSplit;
    assert.equal(split.val.length, 8);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as EvaluationResult;
    assert.equal(result.items.length, 6);
    assert.ok(result.items.every((i) => split.val.includes(i.path)), 'only validation images are evaluated');
    assert.deepEqual(result.selection.split, split.summary);
    assert.equal(result.selection.limit, 6);
    assert.equal(result.thumbnailDir, path.join(caseDir, 'derived', 'thumbs'));
    for (const item of result.items) assert.ok(fs.existsSync(path.join(result.thumbnailDir!, `${item.sha256}.jpg`)));

    const saved = openCaseDatabase(caseDir, { readonly: true });
    try {
      const [entry] = listEvaluations(saved);
      assert.equal(entry.id, result.id);
      assert.deepEqual(listSplits(saved)[0].split, split);
      assert.equal(entry.splitId, listSplits(saved)[0].id);
    } finally {
      saved.close();
    }
  });

  it('exits 1 with a clear message on unrecognised, empty or unreadable datasets', async () => {
    const holiday = path.join(work, 'holiday');
    await tinyJpeg(path.join(holiday, 'beach', 'a.jpg'));
    const empty = path.join(work, 'empty');
    fs.mkdirSync(path.join(empty, 'gan', '0_real'), { recursive: true });
    fs.mkdirSync(path.join(empty, 'gan', '1_fake'), { recursive: true });
    const garbage = path.join(work, 'garbage');
    for (const [folder, name] of [['0_real', 'a.jpg'], ['1_fake', 'b.jpg']]) {
      fs.mkdirSync(path.join(garbage, folder), { recursive: true });
      fs.writeFileSync(path.join(garbage, folder, name), 'not an image at all');
    }

    const [unrecognised, none, unreadable] = await Promise.all([
      provenance(holiday, '--quiet'),
      provenance(empty, '--quiet'),
      provenance(garbage, '--models', 'fixture-texture-cnn', '--quiet'),
    ]);
    assert.equal(unrecognised.code, 1);
    assert.match(unrecognised.stderr, /cannot evaluate this dataset: .*not a dataset layout this tool recognises \(top-level folders: beach\)/);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no images found in/);
    assert.equal(unreadable.code, 1);
    assert.match(unreadable.stderr, /none of the 2 images could be read/);
  });

  it('shows the layout and stops with --dry-run; a wrong option exits 2 with the help', async () => {
    const [dry, badSplit] = await Promise.all([provenance(dataset, '--dry-run'), provenance(dataset, '--split-val', '1')]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /layout {3}CNNDetection/);
    assert.doesNotMatch(dry.stdout + dry.stderr, /fixture-texture-cnn/);
    assert.equal(badSplit.code, 2);
    assert.match(badSplit.stderr, /--split-val must be a number between 0 and 1 \(exclusive\), got "1"\n\nprovenance evaluate <dataset-folder\|manifest\.csv>/);
  });
});
