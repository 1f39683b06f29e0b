// The forensic analyses in the real renderer (plain Chromium) against the real engine: the
// sample's examples imported, the gallery filtered by the analysis that flagged them, and the
// inspector showing every analysis on the example it catches, with its legend, parameters, maps
// overlaid on the photo (served by media URL) and tables. Screenshots in tests/artifacts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { AnalysisId } from '../../src/contract/analyses';
import { type AppUnderTest, createCaseThroughUi, e2eSkipReason, importThroughUi, invokeFromPage, ROOT, screenshot, slow, startAppWithoutModels } from './harness';

const skip = e2eSkipReason();
let app: AppUnderTest;
let sample: string;

/** Each analysis on the sample example it catches (scripts/make-sample.ts, forensics/README.txt). */
const EXAMPLES: [AnalysisId, string][] = [
  ['c2pa', 'c2pa-edited-after-signing.jpg'],
  ['generatorTraces', 'stable-diffusion.png'],
  ['metadataConsistency', 'dates-out-of-order.jpg'],
  ['thumbnail', 'thumbnail-mismatch.jpg'],
  ['quantTables', 'mozjpeg-tables.jpg'],
  ['doubleJpeg', 'double-jpeg-70-90.jpg'],
  ['ghosts', 'ghost-q60-in-q90.jpg'],
  ['grid', 'cropped-3-5.png'],
  ['noise', 'noise-splice.jpg'],
  ['copyMove', 'clone.jpg'],
];

before(async () => {
  if (skip) return;
  app = await startAppWithoutModels();
  await app.page.setViewportSize({ width: 1600, height: 1000 });
  sample = path.join(app.tmp, 'sample');
  const made = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-sample.ts', sample], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
});

after(async () => {
  await app?.close();
});

test('the gallery filters by an analysis flag, and the inspector shows every analysis on its example', { skip, timeout: slow(600_000) }, async () => {
  const { page } = app;
  await createCaseThroughUi(app, path.join(app.tmp, 'case'), { name: 'Forensic examples' });
  await importThroughUi(app, path.join(sample, 'forensics'), slow(240_000));
  const gallery = page.getByTestId('gallery');

  // The thumbnail filter: exactly the items whose stored thumbnail finding is flagged.
  const expected = (await invokeFromPage(page, 'evidence.list', { analysisFlag: 'thumbnail' })).items.map((i) => i.fileName);
  assert.ok(expected.includes('thumbnail-mismatch.jpg'), expected.join());
  await page.getByTestId('filter-analysis').selectOption('thumbnail');
  await gallery.and(page.locator(`[data-total="${expected.length}"]`)).waitFor({ timeout: slow(20_000) });
  const names = await gallery.getByTestId('tile').evaluateAll((els) => els.map((e) => e.querySelector('.name')?.textContent ?? ''));
  assert.deepEqual(names.sort(), [...expected].sort());
  await gallery.locator('img').evaluateAll((imgs) => Promise.all(imgs.map((img) => img.decode().catch(() => null))));
  await screenshot(page, 'forensics-gallery-thumbnail-filter.png');

  // Any analysis: more items; then the filter is cleared.
  const anyCount = (await invokeFromPage(page, 'evidence.list', { analysisFlag: 'any' })).total ?? NaN;
  await page.getByTestId('filter-analysis').selectOption('any');
  await gallery.and(page.locator(`[data-total="${anyCount}"]`)).waitFor({ timeout: slow(20_000) });
  assert.ok(anyCount > expected.length);
  await screenshot(page, 'forensics-gallery-any-filter.png');
  await page.getByTestId('filter-analysis').selectOption('');

  for (const [analysis, file] of EXAMPLES) {
    await page.getByTestId('filter-text').fill(file);
    // The previous search also had one result: wait for this file's tile, not for the count.
    const tile = gallery.getByTestId('tile').filter({ hasText: file });
    await tile.waitFor({ timeout: slow(20_000) });
    const id = await tile.getAttribute('data-id');
    await tile.click();
    await page.locator(`[data-testid="inspector"][data-id="${id}"]`).waitFor();
    const entry = page.locator(`[data-testid="analysis-entry"][data-analysis="${analysis}"]`);
    await entry.waitFor({ timeout: slow(20_000) });
    await entry.getByTestId('analysis-open').click();
    const view = page.locator(`[data-testid="analysis-view"][data-analysis="${analysis}"]`);
    await view.waitFor({ timeout: slow(120_000) });
    // It catches its example, and says what that shows and does not prove, with its parameters.
    assert.equal(await entry.getAttribute('data-status'), 'flagged', `${analysis} on ${file}: ${await view.getByTestId('analysis-reason').innerText()}`);
    const legend = await view.getByTestId('analysis-legend').innerText();
    assert.match(legend, /Shows[\s\S]+Does not prove[\s\S]+Parameters/);
    assert.ok((await view.getByTestId('analysis-facts').locator('tr').count()) > 0);
    const maps = await view.getByTestId('analysis-map-choice').count();
    if (maps > 0) {
      const overlay = page.getByTestId('ela-overlay');
      await overlay.waitFor({ state: 'visible' });
      assert.match((await overlay.getAttribute('src')) ?? '', new RegExp(`/media/evidence/\\d+/analysis/${analysis}/[a-z0-9-]+\\?token=`));
      const width: number = await overlay.evaluate((img) => img.decode().then(() => img.naturalWidth));
      assert.ok(width > 0, `${analysis}: the map loaded`);
      assert.ok(await view.getByTestId('analysis-map-legend').isVisible());
    } else {
      assert.ok((await view.getByTestId('analysis-table').count()) + (await view.getByTestId('analysis-chart').count()) > 0, `${analysis} shows its tables or charts`);
    }
    await view.locator('h4').scrollIntoViewIfNeeded();
    await screenshot(page, `forensics-inspector-${analysis}.png`);
    // The whole panel (legend, figures, map legend, charts, tables), below the fold of the page shot.
    await view.screenshot({ path: path.join(ROOT, 'tests', 'artifacts', `forensics-panel-${analysis}.png`) });
    await page.getByTestId('inspector-back').click();
    await gallery.waitFor();
  }
  assert.deepEqual(app.pageErrors, []);
});
