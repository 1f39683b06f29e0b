// The evaluation workspace in the real renderer (plain Chromium) against the real engine: a
// labelled CNNDetection-style set made here, detected and evaluated through the UI with the
// fixture texture model; the confusion matrix on screen must equal the one computed from the
// saved per-image scores, at the saved threshold and after moving the slider; a false-positive
// cell opens exactly its images, one opens in the item viewer and is flagged for retraining.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ConfusionMatrix, EvaluationResult } from '../../src/contract/evaluation';
import { confusionAt } from '../../src/shared/metrics';
import { makeCnnDetectionSet } from '../evaluation/datasets';
import { type AppUnderTest, createCaseThroughUi, e2eSkipReason, invokeFromPage, screenshot, slow, startApp, waitForInputValue } from './harness';

const skip = e2eSkipReason();
const MODEL = 'fixture-texture-cnn';
const OTHER_MODEL = 'fixture-ela-cnn';
const GENERATORS = ['progan', 'stylegan'];
const PER_CLASS = 6;

let app: AppUnderTest;
let datasetDir: string;

before(async () => {
  if (skip) return;
  app = await startApp();
  datasetDir = await makeCnnDetectionSet(path.join(app.tmp, 'dataset'), { generators: GENERATORS, perClass: PER_CLASS });
});

after(async () => {
  await app?.close();
});


/** The confusion matrix a model's section shows. */
async function matrixOnScreen(page: Page, model = MODEL): Promise<Omit<ConfusionMatrix, 'threshold'>> {
  const section = page.locator(`[data-testid="model-section"][data-model="${model}"]`);
  const cell = async (name: string) => Number(await section.getByTestId(`cm-${name}-count`).innerText());
  return { tp: await cell('tp'), fn: await cell('fn'), fp: await cell('fp'), tn: await cell('tn') };
}

function expectedMatrix(result: EvaluationResult, threshold: number, model = MODEL): Omit<ConfusionMatrix, 'threshold'> {
  const scored = result.items.filter((i) => typeof i.scores[model] === 'number');
  const { tp, fn, fp, tn } = confusionAt(
    scored.map((i) => i.label),
    scored.map((i) => i.scores[model] as number),
    threshold,
  );
  return { tp, fn, fp, tn };
}

test('detect a labelled set, evaluate, check the confusion matrix live, open and flag a false positive', { skip, timeout: slow(120_000) }, async () => {
  const { page } = app;
  await createCaseThroughUi(app, path.join(app.tmp, 'case'), { name: 'Detector validation', examiner: 'E. Examiner' });
  await page.getByTestId('nav-evaluation').click();
  await page.getByTestId('evaluation-view').waitFor();

  // Detection before anything runs: layout, counts and one row per generator.
  app.picks.import = datasetDir;
  await page.getByTestId('dataset-choose').click();
  await waitForInputValue(page.getByTestId('dataset-path'), datasetDir);
  const summary = page.getByTestId('dataset-summary');
  await summary.waitFor();
  assert.equal(await summary.getByTestId('dataset-layout').getAttribute('data-layout'), 'cnndetection');
  assert.match(await summary.getByTestId('dataset-layout').innerText(), /CNNDetection/);
  const total = GENERATORS.length * PER_CLASS * 2;
  assert.equal(await summary.getByTestId('dataset-total').innerText(), String(total));
  assert.equal(await summary.getByTestId('dataset-real').innerText(), String(total / 2));
  assert.equal(await summary.getByTestId('dataset-fake').innerText(), String(total / 2));
  const sources = summary.getByTestId('dataset-source');
  assert.deepEqual(await sources.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-source'))), GENERATORS);
  for (const row of await sources.all()) assert.match(await row.innerText(), new RegExp(`\\s${PER_CLASS}\\s+${PER_CLASS}$`));

  // One model, a quick bootstrap, the default threshold.
  for (const box of await page.getByTestId('eval-model').all()) await box.setChecked((await box.getAttribute('data-model')) === MODEL);
  await page.getByTestId('eval-bootstrap').fill('200');
  await page.getByTestId('eval-start').click();
  const results = page.getByTestId('evaluation-results');
  await results.waitFor({ timeout: slow(60_000) });
  const id = await results.getAttribute('data-id');
  assert.ok(id, 'the results name their evaluation');
  assert.match(page.url(), new RegExp(`#/evaluation/${id}$`));
  await page.locator(`[data-testid="eval-list-entry"][data-id="${id}"]`).waitFor();

  // At the saved threshold the matrix on screen is the one the saved scores give.
  const result = await invokeFromPage(page, 'evaluation.get', { id });
  assert.equal(result.items.length, total);
  const saved = expectedMatrix(result, result.threshold);
  const { threshold: _t, ...savedByEngine } = result.perModel[0].metrics!.confusion;
  assert.deepEqual(saved, savedByEngine, 'the engine saved the matrix its scores give');
  assert.deepEqual(await matrixOnScreen(page), saved);
  assert.equal(await page.getByTestId('threshold-value').innerText(), result.threshold.toFixed(3));

  // Move the slider down to the highest score of a real image: that image becomes a false
  // positive, and every cell follows the scores.
  const realScores = result.items.filter((i) => i.label === 0).map((i) => i.scores[MODEL] as number);
  const lowered = Math.floor(Math.max(...realScores) * 1000) / 1000;
  assert.ok(lowered < result.threshold, `the highest real score (${Math.max(...realScores)}) is below the saved threshold ${result.threshold}`);
  const moved = expectedMatrix(result, lowered);
  assert.ok(moved.fp >= 1 && moved.fp > saved.fp, `lowering the threshold to ${lowered} adds false positives`);
  await page.getByTestId('threshold-slider').fill(String(lowered));
  await page.getByTestId('threshold-value').filter({ hasText: lowered.toFixed(3) }).waitFor();
  const onScreen = await matrixOnScreen(page);
  assert.deepEqual(onScreen, moved);
  assert.equal(onScreen.tp + onScreen.fn, total / 2, 'every fake is counted once');
  assert.equal(onScreen.fp + onScreen.tn, total / 2, 'every real image is counted once');
  const accuracy = await page.locator(`[data-testid="metric-accuracy-value"][data-model="${MODEL}"]`).innerText();
  assert.equal(accuracy, ((moved.tp + moved.tn) / total).toFixed(3));

  // The false-positive cell opens exactly those images, the most confident first.
  const section = page.locator(`[data-testid="model-section"][data-model="${MODEL}"]`);
  await section.getByTestId('cm-fp').click();
  const cellGallery = section.getByTestId('cell-gallery');
  await cellGallery.waitFor();
  const tiles = cellGallery.getByTestId('eval-tile');
  assert.equal(await tiles.count(), moved.fp);
  const expectedFp = result.items
    .map((item, index) => ({ index, item }))
    .filter(({ item }) => item.label === 0 && (item.scores[MODEL] as number) >= lowered)
    .sort((a, b) => (b.item.scores[MODEL] as number) - (a.item.scores[MODEL] as number));
  assert.deepEqual(
    await tiles.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-item')))),
    expectedFp.map((f) => f.index),
  );

  // Open the most confident false positive: its picture, label and path.
  await tiles.first().click();
  const viewer = page.getByTestId('eval-item-viewer');
  await viewer.waitFor();
  const width: number = await viewer.getByTestId('photo').evaluate((img) => img.decode().then(() => img.naturalWidth));
  assert.ok(width > 0, 'the image loaded');
  assert.equal(await viewer.getByTestId('eval-item-label').textContent(), 'real');
  const fpItem = result.items[expectedFp[0].index];
  assert.equal(await viewer.getByTestId('eval-item-path').innerText(), fpItem.path);

  // Flag it for retraining with a note; the case keeps the flag.
  const note = 'Smooth real photo scored fake: add more like it.';
  await viewer.getByTestId('eval-flag-note').fill(note);
  await viewer.getByTestId('eval-flag-toggle').click();
  await viewer.locator('[data-testid="eval-flag"][data-flagged="true"]').waitFor();
  const flags = await invokeFromPage(page, 'evaluation.flags', {});
  const flag = flags.find((f) => f.path === fpItem.path);
  assert.ok(flag, `evaluation.flags lists ${fpItem.path}: ${JSON.stringify(flags)}`);
  assert.equal(flag.flagged, true);
  assert.equal(flag.label, 0);
  assert.equal(flag.evaluationId, id);
  assert.equal(flag.note, note);
  assert.equal(flag.sha256, fpItem.sha256);
  await screenshot(page, 'evaluation-item.png');

  // Esc closes the viewer; the flag is listed beside the results.
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });
  await page.locator(`[data-testid="flagged-item"][data-path="${fpItem.path}"]`).waitFor();

  await cellGallery.locator('img').evaluateAll((imgs) => Promise.all(imgs.map((img) => img.decode().catch(() => null))));
  await screenshot(page, 'evaluation-cell.png');
  await results.evaluate((el) => el.parentElement?.scrollTo(0, 0));
  await screenshot(page, 'evaluation.png');
  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);
});

test('compare two models side by side on the same images, with a robustness sweep', { skip, timeout: slow(120_000) }, async () => {
  // Continues in the case the first test created.
  const { page } = app;
  await page.getByTestId('eval-new').click();
  app.picks.import = datasetDir;
  await page.getByTestId('dataset-choose').click();
  await page.getByTestId('dataset-summary').waitFor();
  for (const box of await page.getByTestId('eval-model').all()) await box.setChecked([MODEL, OTHER_MODEL].includes((await box.getAttribute('data-model')) ?? ''));
  await page.getByTestId('eval-bootstrap').fill('0');
  await page.getByTestId('eval-robustness').setChecked(true);
  const first = page.url();
  await page.getByTestId('eval-start').click();
  await page.waitForURL((url) => url.href !== first && /#\/evaluation\/[0-9a-f-]{36}$/.test(url.hash), { timeout: slow(60_000) });
  const results = page.getByTestId('evaluation-results');
  await results.and(page.locator(`[data-id="${page.url().split('/').pop()}"]`)).waitFor();
  const id = await results.getAttribute('data-id');
  assert.ok(id, 'the results name their evaluation');
  const result = await invokeFromPage(page, 'evaluation.get', { id });
  assert.deepEqual(result.models.map((m) => m.id).sort(), [MODEL, OTHER_MODEL].sort());

  // One metrics column and one section per model, each matrix from that model's own scores.
  const compare = page.getByTestId('model-compare');
  assert.deepEqual(await compare.getByTestId('metrics-model').evaluateAll((els) => els.map((e) => e.getAttribute('data-model'))), result.models.map((m) => m.id));
  for (const m of result.models) assert.deepEqual(await matrixOnScreen(page, m.id), expectedMatrix(result, result.threshold, m.id), `matrix of ${m.id}`);

  // Agreement between the two: the four counts cover every image both scored, and a count opens
  // exactly its images.
  const [a, b] = result.models.map((m) => m.id);
  const wrong = (score: number, label: number) => (score >= result.threshold) !== (label === 1);
  const bothWrong = result.items.flatMap((item, index) => (wrong(item.scores[a] as number, item.label) && wrong(item.scores[b] as number, item.label) ? [index] : []));
  const agreement = page.getByTestId('model-agreement');
  const counts = await Promise.all(['both', 'onlyA', 'onlyB', 'neither'].map(async (k) => Number(await agreement.getByTestId(`compare-${k}`).innerText())));
  assert.equal(counts.reduce((x, y) => x + y, 0), result.items.length);
  assert.equal(counts[3], bothWrong.length);
  await agreement.getByTestId('compare-neither').click();
  const gallery = compare.getByTestId('compare-gallery');
  await gallery.waitFor();
  assert.deepEqual((await gallery.getByTestId('eval-tile').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-item'))))).sort((x, y) => x - y), bothWrong);

  // Robustness: one plot per perturbation, one line per model.
  assert.ok(result.robustness, 'the sweep ran');
  for (const kind of ['jpeg', 'blur', 'downscale']) await page.getByTestId(`robustness-${kind}`).locator('canvas').waitFor();
  await screenshot(page, 'evaluation-compare.png');
  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);
});
