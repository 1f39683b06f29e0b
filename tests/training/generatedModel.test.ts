// The shipped generated-image detector reproduces its model card: a slice of the card's test
// split is rebuilt from ../shared byte for byte (the recipe's normalisation), scored by
// `provenance evaluate` on the shipped ONNX file, and the scores and the slice's metrics agree
// with the ones the card was written from. Skips, saying why, without ../shared or Python.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseCsv } from '../../src/main/evaluation/dataset';
import { checkManifest } from '../../src/main/inference/manifest';
import { averagePrecision } from '../../src/shared/metrics';
import { runCli } from '../cli/run';
import { SCRIPTS_DIR, SHIPPED_MODELS_DIR } from '../config';
import { pythonForTests } from './helpers';

const ROOT = join(import.meta.dirname, '..', '..');
const SHARED = join(ROOT, '..', 'shared');
const MODELS = join(ROOT, 'resources', 'models');
const PER_SOURCE_AND_LABEL = 2;

const tmp = mkdtempSync(join(tmpdir(), 'provenance-card-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const shipped = readdirSync(MODELS).filter((d) => d.startsWith('generated-') && existsSync(join(MODELS, d, 'evaluation', 'test-items.csv')));

test('a generated-image detector ships with a manifest, a card and its evaluation evidence', () => {
  assert.ok(shipped.length >= 1, 'resources/models/generated-*/ with evaluation/test-items.csv');
  for (const id of shipped) {
    const dir = join(MODELS, id);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const check = checkManifest(manifest);
    assert.ok(check.ok, JSON.stringify(check));
    assert.equal(manifest.fixture, false);
    assert.ok(manifest.calibration && manifest.evaluation, 'threshold rule and evaluation summary in the manifest');
    assert.equal(manifest.evaluation.threshold, manifest.defaultThreshold);
    const card = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
    for (const needle of ['never a verdict', 'Threshold', 'Leakage baselines', 'leave one source out', 'Robustness', 'Known failure modes', 'Licences and intended use', 'npx provenance train --job']) {
      assert.ok(card.toLowerCase().includes(needle.toLowerCase()), `${id} card mentions "${needle}"`);
    }
    assert.ok(card.includes(`AP **${manifest.evaluation.ap.toFixed(3)}**`), 'the card states the manifest\'s AP');
    assert.ok(existsSync(join(dir, 'evaluation', 'robustness.png')));
    assert.ok(readFileSync(join(dir, 'model.onnx')).length <= 25 * 1024 * 1024);
  }
});

test('provenance evaluate reproduces the card on a slice rebuilt from ../shared', { timeout: 600_000 }, async (t) => {
  if (!existsSync(join(SHARED, 'datasets', 'generated'))) return t.skip(`${SHARED}/datasets/generated is absent: the card's evaluation split cannot be rebuilt here`);
  const found = await pythonForTests();
  if ('skip' in found) return t.skip(found.skip);
  for (const id of shipped) {
    const dir = join(MODELS, id);
    const records = parseCsv(readFileSync(join(dir, 'evaluation', 'test-items.csv'), 'utf8'));
    const header = records[0].fields;
    const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r.fields[i]])));
    // A fixed slice: the first images of every source and label, in file order.
    const taken = new Map<string, number>();
    const slice = rows.filter((r) => {
      const key = `${r.source}/${r.label}`;
      const n = taken.get(key) ?? 0;
      taken.set(key, n + 1);
      return n < PER_SOURCE_AND_LABEL && r.appScore !== '';
    });
    assert.ok(slice.length >= 8, `slice of ${slice.length} images`);
    const out = join(tmp, id);
    const list = join(tmp, `${id}-slice.csv`);
    writeFileSync(list, ['path,origin,box,sha256', ...slice.map((r) => `${r.path},"${r.origin}","${r.box}",${r.sha256}`)].join('\n') + '\n');
    const regen: SpawnSyncReturns<string> = spawnSync(found.env.executable, ['-m', 'provenance_train.prep', '--shared', SHARED, '--out', out, '--regenerate', list], { cwd: SCRIPTS_DIR, encoding: 'utf8' });
    assert.equal(regen.status, 0, `the slice is not byte-identical to the card's files: ${regen.stdout}${regen.stderr}`);

    const manifestCsv = join(out, 'slice.csv');
    writeFileSync(manifestCsv, ['path,label,group,source', ...slice.map((r) => `${r.path},${r.label},"${r.group}",${r.source}`)].join('\n') + '\n');
    const resultPath = join(tmp, `${id}-result.json`);
    // The shipped detectors' folder, not the fixtures-only one CLI tests use by default.
    const run = runCli(['evaluate', manifestCsv, '--models', id, '--ep', 'cpu', '--bootstrap', '0', '--quiet', '--out', resultPath], { env: { PROVENANCE_MODELS_DIR: SHIPPED_MODELS_DIR } });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(readFileSync(resultPath, 'utf8'));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(result.threshold, manifest.defaultThreshold, 'evaluated at the manifest threshold by default');
    const byPath = new Map<string, number>(result.items.map((it: { path: string; scores: Record<string, number> }) => [it.path, it.scores[id]]));
    let worst = 0;
    for (const r of slice) {
      const score = byPath.get(join(out, r.path));
      assert.ok(score !== undefined, r.path);
      worst = Math.max(worst, Math.abs(score - Number(r.appScore)));
    }
    assert.ok(worst < 1e-4, `scores differ from the card's by up to ${worst}`);
    const labels = slice.map((r) => (r.label === 'fake' ? 1 : 0) as 0 | 1);
    const cardAp = averagePrecision(labels, slice.map((r) => Number(r.appScore)))!;
    const nowAp = result.perModel[0].metrics.ap;
    assert.ok(Math.abs(cardAp - nowAp) < 1e-6, `slice AP ${nowAp} vs ${cardAp} from the card's scores`);
    t.diagnostic(`${id}: ${slice.length} images rebuilt and re-scored, largest score difference ${worst.toExponential(2)}, slice AP ${nowAp.toFixed(3)}`);
  }
});
