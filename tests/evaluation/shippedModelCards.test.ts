// The numbers in the shipped detectors' model cards come from `provenance evaluate` runs whose
// results are committed beside them (resources/models/<id>/evaluation/<set>.result.json, made
// from <set>.csv). This re-runs the real CLI on a small fixed slice of each set (the first real
// and fake lines of the CSV) and checks that every image gets the score the committed result
// holds, so the card's numbers are what this code and this model file compute. Skips, saying
// so, when the shared datasets are absent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import type { EvaluationResult } from '../../src/contract/evaluation';
import { parseCsv } from '../../src/main/evaluation/dataset/csv';
import { CLI, cliEnv, ROOT } from '../cli/run';
import { SHARED_DIR } from '../fixtures/shared';

const MODELS_DIR = path.join(ROOT, 'resources', 'models');
/** Images per class re-scored from each committed evaluation. */
const PER_CLASS = 3;
/** Same code, same model file, same CPU provider: scores agree to float rounding. */
const TOLERANCE = 1e-3;

const work = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'pl-cards-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

interface Committed {
  modelId: string;
  set: string;
  csv: string;
  result: string;
}

function committedEvaluations(): Committed[] {
  const found: Committed[] = [];
  for (const id of fs.readdirSync(MODELS_DIR).sort()) {
    const manifest = path.join(MODELS_DIR, id, 'manifest.json');
    const dir = path.join(MODELS_DIR, id, 'evaluation');
    if (!fs.existsSync(manifest) || !fs.existsSync(dir)) continue;
    if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { fixture: boolean }).fixture) continue;
    for (const f of fs.readdirSync(dir).sort()) {
      const set = f.replace(/\.result\.json$/, '');
      if (set !== f && fs.existsSync(path.join(dir, `${set}.csv`))) found.push({ modelId: id, set, csv: path.join(dir, `${set}.csv`), result: path.join(dir, f) });
    }
  }
  return found;
}

const evaluations = committedEvaluations();
const skip = !fs.existsSync(SHARED_DIR) ? 'needs ../shared (the evaluation sets of the shipped models are not in this checkout\'s neighbourhood)' : evaluations.length === 0 ? 'no committed evaluation of a shipped model' : undefined;

test('the shipped models still give the scores their model cards were computed from', { skip, timeout: 600_000 }, () => {
  for (const e of evaluations) {
    const rows = parseCsv(fs.readFileSync(e.csv, 'utf8')).map((r) => r.fields);
    const header = rows[0];
    const col = (name: string) => header.indexOf(name);
    const slice = [...rows.slice(1).filter((r) => r[col('label')] === 'real').slice(0, PER_CLASS), ...rows.slice(1).filter((r) => r[col('label')] === 'fake').slice(0, PER_CLASS)];
    assert.equal(slice.length, 2 * PER_CLASS, `${e.csv} has ${PER_CLASS} images of each class`);
    // Absolute paths: the slice lives in a temp folder, the images stay where the set names them.
    const lines = [header.join(',')];
    for (const r of slice) lines.push(r.map((v, i) => (v && (i === col('path') || i === col('mask')) ? path.resolve(path.dirname(e.csv), v) : v)).join(','));
    const csv = path.join(work, `${e.modelId}-${e.set}.csv`);
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);
    const out = path.join(work, `${e.modelId}-${e.set}.json`);
    const r = spawnSync(process.execPath, [CLI, 'evaluate', csv, '--models', e.modelId, '--threshold', 'manifest', '--out', out, '--bootstrap', '0', '--quiet'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: cliEnv({ PROVENANCE_MODELS_DIR: MODELS_DIR, PROVENANCE_EP: 'cpu' }),
      timeout: 300_000,
    });
    assert.equal(r.status, 0, `${e.modelId} on ${e.set}: ${r.stderr}`);
    const now = JSON.parse(fs.readFileSync(out, 'utf8')) as EvaluationResult;
    const then = JSON.parse(fs.readFileSync(e.result, 'utf8')) as EvaluationResult;
    const committed = new Map(then.items.map((i) => [i.sha256, i.scores[e.modelId]]));
    assert.equal(now.items.length, 2 * PER_CLASS);
    for (const item of now.items) {
      const sha = createHash('sha256').update(fs.readFileSync(item.path)).digest('hex');
      assert.equal(item.sha256, sha);
      assert.ok(committed.has(sha), `${item.path} is in the committed ${e.set} evaluation of ${e.modelId}`);
      const [a, b] = [item.scores[e.modelId], committed.get(sha)];
      if (a === null || b === null || a === undefined || b === undefined) assert.equal(a ?? null, b ?? null, `${item.path}: both unscored`);
      else assert.ok(Math.abs(a - b) <= TOLERANCE, `${e.modelId} on ${item.path}: ${a} now, ${b} in the committed result`);
    }
    assert.equal(now.threshold, then.threshold, `${e.modelId}: the manifest threshold the card reports`);
  }
});
