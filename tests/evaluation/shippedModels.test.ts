// The numbers in the model cards of the shipped detectors come from `provenance evaluate` runs
// whose results are committed next to each model (resources/models/<id>/evaluation/*.result.json).
// This re-runs a seeded slice of each evaluation set through the same path and checks that every
// image scores what the committed result says, and that the committed metrics follow from the
// committed scores. Needs ../shared (the evaluation images); skipped without it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { test } from 'node:test';
import type { EvaluationResult } from '../../src/contract/evaluation';
import { evaluate, metricsSummary, selectEvaluationSet } from '../../src/main/evaluation';
import { Detector, loadModelRegistry } from '../../src/main/inference';
import { SHARED_DIR } from '../fixtures/shared';

const MODELS_DIR = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const SLICE = 12;
const SCORE_TOLERANCE = 1e-4;

interface Reference {
  modelId: string;
  csv: string;
  resultFile: string;
  result: EvaluationResult;
  /**
   * Why the slice cannot be re-scored from ../shared here, if so: the generated-image detector's
   * test images are made by the trainer's data recipe (crops and re-encoding), and
   * tests/training/generatedModel.test.ts rebuilds a slice of them and re-scores it.
   */
  rescoredElsewhere?: string;
}

function references(): Reference[] {
  const out: Reference[] = [];
  for (const id of existsSync(MODELS_DIR) ? readdirSync(MODELS_DIR).sort() : []) {
    const dir = join(MODELS_DIR, id, 'evaluation');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.result.json')).sort()) {
      const csv = join(dir, name.replace(/\.result\.json$/, '.csv'));
      if (!existsSync(csv)) continue;
      out.push({ modelId: id, csv, resultFile: join(dir, name), result: JSON.parse(readFileSync(join(dir, name), 'utf8')) });
    }
    const recipe = join(dir, 'app-evaluation.json');
    if (existsSync(recipe) && existsSync(join(dir, 'test-items.csv'))) {
      out.push({
        modelId: id,
        csv: join(dir, 'test-items.csv'),
        resultFile: recipe,
        result: JSON.parse(readFileSync(recipe, 'utf8')),
        rescoredElsewhere: 'its test images come from the trainer\'s data recipe: tests/training/generatedModel.test.ts rebuilds and re-scores a slice',
      });
    }
  }
  return out;
}

const found = references();
const noShared = existsSync(join(SHARED_DIR, 'datasets')) ? undefined : 'needs ../shared/datasets (the evaluation images of the shipped models)';

test('every shipped (non-fixture) detector has a committed evaluation with its CSV split', async () => {
  const registry = await loadModelRegistry(MODELS_DIR);
  for (const m of registry.filter((r) => r.status === 'ok' && !r.manifest.fixture)) {
    assert.ok(found.some((r) => r.modelId === m.id), `${m.id} has resources/models/${m.id}/evaluation/<split>.csv and <split>.result.json (or the recipe's app-evaluation.json and test-items.csv)`);
  }
});

for (const ref of found) {
  test(`${ref.modelId}: the committed metrics of ${basename(ref.resultFile)} follow from its per-image scores`, () => {
    const r = ref.result;
    const i = r.models.findIndex((m) => m.id === ref.modelId);
    assert.ok(i >= 0, 'the result is of this model');
    const scored = r.items.filter((it) => it.scores[ref.modelId] !== null);
    const m = metricsSummary(
      scored.map((it) => it.label),
      scored.map((it) => it.scores[ref.modelId]!),
      { threshold: r.perModel[i].metrics!.confusion.threshold, targetFpr: r.targetFpr, bootstrap: null },
    );
    const saved = r.perModel[i].metrics!;
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'ap', 'auc'] as const) assert.equal(m[key], saved[key], key);
    assert.deepEqual(m.confusion, saved.confusion);
  });

  test(`${ref.modelId}: a ${SLICE}-image slice of ${basename(ref.csv)} scores as committed`, { skip: ref.rescoredElsewhere ?? noShared, timeout: 600_000 }, async () => {
    const registry = await loadModelRegistry(MODELS_DIR);
    const model = registry.find((m) => m.id === ref.modelId);
    assert.ok(model && model.status === 'ok', `${ref.modelId}: ${model?.problem}`);
    assert.equal(model.manifest.sha256, ref.result.models.find((m) => m.id === ref.modelId)!.sha256, 'the committed result is of the shipped ONNX file');
    const selected = await selectEvaluationSet(ref.csv, { limit: SLICE, seed: 7 });
    assert.ok(selected.ok, selected.ok ? '' : selected.error.message);
    const detector = await Detector.open(model, { provider: 'cpu' });
    try {
      const fresh = await evaluate(selected.set, [detector], { manifestThresholds: true, bootstrap: 0, concurrency: 1, batchSize: 4 });
      const committed = new Map(ref.result.items.map((it) => [it.sha256, it]));
      assert.equal(fresh.items.length, SLICE);
      for (const item of fresh.items) {
        const before = committed.get(item.sha256);
        assert.ok(before, `${item.path} is in the committed result (same bytes)`);
        const a = item.scores[ref.modelId];
        const b = before.scores[ref.modelId];
        assert.ok(a !== null && b !== null && Math.abs(a - b) <= SCORE_TOLERANCE, `${item.path}: ${a} now, ${b} committed`);
      }
      // The slice's accuracy at the manifest threshold from the committed scores equals the fresh one.
      const labels = fresh.items.map((it) => it.label);
      const committedSlice = metricsSummary(labels, fresh.items.map((it) => committed.get(it.sha256)!.scores[ref.modelId]!), { threshold: model.manifest.defaultThreshold, targetFpr: 0.05, bootstrap: null });
      assert.equal(fresh.perModel[0].metrics!.accuracy, committedSlice.accuracy);
    } finally {
      await detector.close();
    }
  });
}
