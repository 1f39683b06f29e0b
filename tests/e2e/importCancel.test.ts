// A running import shows live progress in the job bar and stops on Cancel; what was imported
// before the cancel stays in the case and in the gallery.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeJpeg } from '../fixtures/images';
import { type AppUnderTest, createCaseThroughUi, e2eSkipReason, slow, startAppWithoutModels } from './harness';

const skip = e2eSkipReason();
/** Far more than can be imported between the first progress event and the click on Cancel. */
const ITEMS = 1500;

let app: AppUnderTest;
let evidenceDir: string;

before(async () => {
  if (skip) return;
  app = await startAppWithoutModels();
  evidenceDir = path.join(app.tmp, 'many');
  fs.mkdirSync(evidenceDir);
  for (let i = 0; i < ITEMS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, ITEMS - i) }, (_, j) => makeJpeg(path.join(evidenceDir, `f-${i + j}.jpg`), { width: 32, height: 32, seed: i + j + 1 })));
  }
});

after(async () => {
  await app?.close();
});

test('the job bar shows a running import and cancels it', { skip, timeout: slow(120_000) }, async () => {
  const { page } = app;
  await createCaseThroughUi(app, path.join(app.tmp, 'case'), { name: 'Cancel me' });
  await page.getByTestId('import-path').fill(evidenceDir);
  await page.getByTestId('import-start').click();

  const bar = page.getByTestId('job-bar');
  const cancel = bar.getByTestId('job-cancel');
  await cancel.waitFor();
  // Wait for the walk to count the files, so the bar shows a total to measure against.
  await bar.getByTestId('job-total').filter({ hasText: String(ITEMS) }).waitFor();
  await cancel.click();

  const progress = page.getByTestId('import-progress');
  await progress.getByTestId('job-status').waitFor({ timeout: slow(60_000) });
  assert.equal(await progress.getByTestId('job-status').textContent(), 'cancelled');
  const imported = Number(await progress.getByTestId('job-ok').textContent());
  assert.ok(imported < ITEMS, `cancel stopped the import (${imported} of ${ITEMS} imported)`);
  assert.equal(await bar.getByTestId('job-cancel').count(), 0, 'the job bar no longer lists the job');

  // Everything imported before the cancel is a usable evidence item.
  await page.getByTestId('gallery').and(page.locator(`[data-total="${imported}"]`)).waitFor();
  assert.deepEqual(app.pageErrors, []);
});
