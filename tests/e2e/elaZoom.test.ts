// The inspector shows the ELA preview, and fetches the full-resolution heatmap (made by the
// engine on that first request) only once the examiner zooms past what the preview can show.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeJpeg } from '../fixtures/images';
import { createCaseThroughUi, e2eSkipReason, importThroughUi, screenshot, startAppWithoutModels, type AppUnderTest } from './harness';

const skip = e2eSkipReason();
let app: AppUnderTest;

before(async () => {
  if (skip) return;
  app = await startAppWithoutModels();
  fs.mkdirSync(path.join(app.tmp, 'evidence'));
  await makeJpeg(path.join(app.tmp, 'evidence', 'wide.jpg'), { width: 2400, height: 1600, seed: 12, quality: 88 });
});
after(async () => {
  await app?.close();
});

test('zooming past the preview swaps in the full-resolution ELA heatmap', { skip, timeout: 180_000 }, async () => {
  const { page } = app;
  const caseDir = path.join(app.tmp, 'case');
  await createCaseThroughUi(app, caseDir, { name: 'Zoom' });
  await importThroughUi(app, path.join(app.tmp, 'evidence'));
  const heatmaps = path.join(caseDir, 'derived', 'ela');
  assert.equal(fs.readdirSync(heatmaps).filter((f) => f.endsWith('.ela.png')).length, 0, 'the import wrote no full-resolution heatmap');

  await page.getByTestId('gallery').getByTestId('tile').first().click();
  await page.getByTestId('photo').evaluate((img) => img.decode());
  await page.keyboard.press('e');
  const overlay = page.getByTestId('ela-overlay');
  await overlay.waitFor({ state: 'visible' });
  assert.match((await overlay.getAttribute('src')) ?? '', /\/ela-preview\/90(\?|$)/);
  assert.equal(await overlay.getAttribute('data-resolution'), 'preview');
  assert.equal(await overlay.evaluate((img) => img.decode().then(() => img.naturalWidth)), 1024);
  // Fitted to the window the 2400 px image is shown narrower than the 1024 px preview: no request.
  assert.equal(fs.readdirSync(heatmaps).filter((f) => f.endsWith('.ela.png')).length, 0);

  // 1:1 shows 2400 image pixels across: more than the preview has.
  await page.getByTestId('zoom-1to1').click();
  await overlay.and(page.locator('[data-resolution="full"]')).waitFor({ timeout: 60_000 });
  // contract/media.ts: evidence/<id>/ela/<quality>, the full-resolution heatmap.
  assert.match((await overlay.getAttribute('src')) ?? '', /\/ela\/90(\?|$)/);
  assert.equal(await overlay.evaluate((img) => img.decode().then(() => img.naturalWidth)), 2400);
  assert.equal(fs.readdirSync(heatmaps).filter((f) => f.endsWith('.ela.png')).length, 1, 'made once, kept in the case');
  await screenshot(page, 'ela-zoom-full.png');
  assert.deepEqual(app.pageErrors, []);
});
