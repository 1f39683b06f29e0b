// The Training view in the real renderer (plain Chromium) against the real engine and a temp
// model registry: a new head is trained on a separable labelled folder through the form, its
// stages and fit curve arrive live, the registered version is shown beside the bundled model,
// and activate → roll back → discard change what the app scores with. A second test runs a tiny
// real Python training job from the form where this machine has PyTorch.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { makeLabelledFolder } from '../training/helpers';
import { type AppUnderTest, e2eSkipReason, invokeFromPage, screenshot, slow, startApp, waitForInputValue } from './harness';

const skip = e2eSkipReason();
const MODEL = 'fixture-texture-cnn';

let app: AppUnderTest;
let root: string;

before(async () => {
  if (skip) return;
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-e2e-train-'));
  app = await startApp({ config: { userModelsDir: path.join(root, 'user-models') } });
});

after(async () => {
  await app?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});


async function modelVersionInUse(page: Page, id: string): Promise<string | undefined> {
  return (await invokeFromPage(page, 'models.list', {})).models.find((m) => m.id === id)?.version;
}

/** Waits until a training chart has plotted at least one point (its data-points attribute). */
async function waitForChartPoints(page: Page, testid: string, timeout: number): Promise<void> {
  // A selector, not a page function: the app's Content-Security-Policy forbids evaluated strings.
  await page.locator(`[data-testid="${testid}"]:not([data-points="0"])`).waitFor({ timeout });
}

function metric(text: string | null): number {
  const n = Number(text?.trim());
  assert.ok(Number.isFinite(n), `a number, not "${text}"`);
  return n;
}

test('new head from the form: live stages and fit curve, before/after comparison, activate, roll back, discard', { skip, timeout: slow(90_000) }, async () => {
  const { page } = app;
  const folder = path.join(root, 'separable');
  await makeLabelledFolder(folder, { perLabel: 12, size: 64, realNoise: 40, fakeNoise: 0, seed: 3 });
  const bundledVersion = await modelVersionInUse(page, MODEL);
  assert.ok(bundledVersion && bundledVersion !== 'r1');

  // Models belong to the installation: the view works without an open case.
  await page.getByTestId('nav-models').click();
  await page.getByTestId('models-view').waitFor();
  await page.getByTestId('training-environment').getByRole('table').or(page.getByTestId('env-missing')).first().waitFor();
  const entry = page.locator(`[data-testid="model-entry"][data-model="${MODEL}"]`);
  await entry.waitFor();
  assert.equal((await entry.getByTestId('model-in-use').textContent())?.trim(), 'bundled model');

  await page.getByTestId('head-model').selectOption(MODEL);
  app.picks.import = folder;
  await page.getByTestId('head-folder-browse').click();
  await waitForInputValue(page.getByTestId('head-folder-path'), folder);
  await page.getByTestId('head-seed').fill('1');
  await page.getByTestId('head-start').click();

  const live = page.getByTestId('training-live');
  await live.waitFor();
  // The stages and the fit loss arrive as training.event while the job runs.
  await page.locator('[data-testid="head-stage"][data-stage="fit"]').waitFor({ timeout: slow(60_000) });
  await waitForChartPoints(page, 'chart-fit', slow(60_000));
  await page.locator('[data-testid="training-live"][data-status="completed"]').waitFor({ timeout: slow(60_000) });
  const stages = await page.getByTestId('head-stage').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
  for (const stage of ['embed', 'fit', 'write', 'register']) assert.ok(stages.includes(stage), `stage ${stage} shown (${stages.join(', ')})`);
  const canvas = await page.getByTestId('chart-fit').locator('canvas').boundingBox();
  assert.ok(canvas && canvas.width > 100 && canvas.height > 100, 'the fit curve is drawn');

  // The registered version beside the model it would replace, on the same validation split.
  const result = page.getByTestId('training-result');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-version'), 'r1');
  assert.equal((await result.getByTestId('result-status').textContent())?.trim(), 'candidate');
  const before = metric(await result.getByTestId('result-compare-before-accuracy').textContent());
  const afterAcc = metric(await result.getByTestId('result-compare-after-accuracy').textContent());
  metric(await result.getByTestId('result-compare-before-loss').textContent());
  metric(await result.getByTestId('result-compare-after-loss').textContent());
  assert.ok(afterAcc > before, `the new head separates the classes better (${before} → ${afterAcc})`);
  const row = page.locator(`[data-testid="version-row"][data-model="${MODEL}"][data-version="r1"]`);
  await row.waitFor();
  assert.equal((await row.getByTestId('version-compare-after-accuracy').textContent())?.trim(), afterAcc.toFixed(3));

  await result.getByTestId('result-activate').click();
  await page.locator('[data-testid="training-result"] [data-testid="result-status"]', { hasText: 'active' }).waitFor();
  await row.getByTestId('version-status').filter({ hasText: 'active' }).waitFor();
  assert.equal((await entry.getByTestId('model-in-use').textContent())?.trim(), 'r1');
  assert.equal(await modelVersionInUse(page, MODEL), 'r1', 'the app now scores with the new version');
  assert.ok(await row.getByTestId('version-discard').isDisabled(), 'the active version cannot be discarded');
  await screenshot(page, 'training.png');

  await entry.getByTestId('model-rollback').click();
  await entry.getByTestId('model-in-use').filter({ hasText: 'bundled model' }).waitFor();
  assert.equal(await modelVersionInUse(page, MODEL), bundledVersion, 'the bundled model is back in use');
  assert.notEqual((await row.getByTestId('version-status').textContent())?.trim(), 'active');
  await entry.getByTestId('activation-history').locator('li').nth(1).waitFor({ state: 'attached' });

  await row.getByTestId('version-discard').click();
  await row.getByTestId('version-status').filter({ hasText: 'discarded' }).waitFor();
  const [list] = await invokeFromPage(page, 'models.versions', { modelId: MODEL });
  assert.equal(list.versions.find((v) => v.version === 'r1')?.status, 'discarded');
  assert.equal(list.active, null);

  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);
});

const torchProbe = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { timeout: slow(60_000) });
const noTorch = skip ?? (torchProbe.status === 0 ? undefined : 'no /usr/bin/python3 with torch + torchvision here: the Python trainer form is not exercised');

test('Python trainer from the form: a tiny small_cnn run streams epochs to the chart and registers a version', { skip: noTorch, timeout: slow(120_000) }, async () => {
  const { page } = app;
  const folder = path.join(root, 'python-set');
  await makeLabelledFolder(folder, { perLabel: 8, size: 64, realNoise: 40, fakeNoise: 0, seed: 5 });
  await page.getByTestId('nav-models').click();
  await page.getByTestId('env-found').waitFor({ timeout: slow(60_000) });

  await page.getByTestId('mode-python').click();
  await page.getByTestId('py-model-id').fill('e2e-small');
  await page.getByTestId('py-arch').selectOption('small_cnn');
  await page.getByTestId('py-mode').selectOption('full');
  await page.getByTestId('py-folder-path').fill(folder);
  await page.getByTestId('py-epochs').fill('1');
  await page.getByTestId('py-batch').fill('8');
  await page.getByTestId('py-device').selectOption('cpu');
  await page.getByText('Advanced').click();
  await page.getByTestId('py-max-steps').fill('2');
  await page.getByTestId('py-start').click();

  await waitForChartPoints(page, 'chart-epochs', slow(100_000));
  assert.ok(Number(await page.getByTestId('chart-steps').getAttribute('data-points')) > 0, 'step losses reached the chart');
  await page.locator('[data-testid="training-live"][data-status="completed"]').waitFor({ timeout: slow(100_000) });
  const result = page.getByTestId('training-result');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-version'), 'r1');
  await page.locator('[data-testid="version-row"][data-model="e2e-small"][data-version="r1"]').waitFor();
  await screenshot(page, 'training-python.png');
  assert.deepEqual(app.pageErrors, []);
});
