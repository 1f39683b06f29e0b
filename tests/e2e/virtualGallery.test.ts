// The gallery stays light with thousands of items: only the rows near the viewport exist in the
// DOM, pages of the list are fetched as the examiner scrolls, and keyboard selection reaches
// items far outside the rendered window.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeJpeg } from '../fixtures/images';
import { type AppUnderTest, createCaseThroughUi, e2eSkipReason, slow, startAppWithoutModels } from './harness';

const skip = e2eSkipReason();
/**
 * Tiny images keep the import quick: 1,200 import in about 25 s on two slow cores (2,000 took 50 s,
 * too long beside the other tests); set PROVENANCE_E2E_GALLERY_ITEMS for a bigger run.
 */
const ITEMS = Number(process.env.PROVENANCE_E2E_GALLERY_ITEMS ?? 1200);

let app: AppUnderTest;
let evidenceDir: string;

before(async () => {
  if (skip) return;
  // No detectors: this test is about the gallery, and ELA alone gives every item a result.
  app = await startAppWithoutModels();
  evidenceDir = path.join(app.tmp, 'many');
  fs.mkdirSync(evidenceDir);
  const names = Array.from({ length: ITEMS }, (_, i) => `tiny-${String(i).padStart(4, '0')}.jpg`);
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((name, j) => makeJpeg(path.join(evidenceDir, name), { width: 32, height: 32, seed: i + j + 1, quality: 85 })));
  }
});

after(async () => {
  await app?.close();
});

test(`the gallery renders a small window of ${ITEMS} items`, { skip, timeout: slow(240_000) }, async () => {
  const { page } = app;
  await createCaseThroughUi(app, path.join(app.tmp, 'case'), { name: 'Many files' });

  // Import by typing the folder (the text-field route of the import panel).
  await page.getByTestId('import-path').fill(evidenceDir);
  await page.getByTestId('import-start').click();
  const progress = page.getByTestId('import-progress');
  await progress.getByTestId('job-status').waitFor({ timeout: slow(200_000) });
  assert.equal(await progress.getByTestId('job-ok').textContent(), String(ITEMS));

  const gallery = page.getByTestId('gallery');
  await gallery.and(page.locator(`[data-total="${ITEMS}"]`)).waitFor();
  await page.getByTestId('sort-key').selectOption('name');
  await gallery.getByTestId('tile').first().waitFor();
  const tiles = gallery.getByTestId('tile');
  const rendered = await tiles.count();
  assert.ok(rendered > 0 && rendered <= 150, `rendered ${rendered} tiles for ${ITEMS} items`);
  assert.equal(await tiles.first().getAttribute('data-index'), '0');

  // The scroll height stands for every item although few exist.
  const { scrollHeight, clientHeight } = await gallery.evaluate((el) => ({ scrollHeight: el.scrollHeight, clientHeight: el.clientHeight }));
  assert.ok(scrollHeight > clientHeight * 10, `scroll height ${scrollHeight} for viewport ${clientHeight}`);

  // Jump to the middle: its tiles render (their page of the list is fetched) and the count stays small.
  await gallery.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await page.locator(`[data-testid="tile"][data-index="${Math.floor(ITEMS / 2)}"]`).waitFor();
  await gallery.getByTestId('tile-placeholder').first().waitFor({ state: 'detached' });
  const middle = await tiles.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-index'))));
  assert.ok(middle.length <= 150, `rendered ${middle.length} tiles mid-list`);
  assert.ok(!middle.includes(0), 'rows scrolled away are removed from the DOM');
  const middleName = await page.locator(`[data-testid="tile"][data-index="${Math.floor(ITEMS / 2)}"]`).innerText();
  assert.match(middleName, new RegExp(`tiny-${String(Math.floor(ITEMS / 2)).padStart(4, '0')}\\.jpg`));

  // Keyboard: End selects the last item (scrolling it into view), Enter opens it.
  await gallery.focus();
  await page.keyboard.press('End');
  const last = page.locator(`[data-testid="tile"][data-index="${ITEMS - 1}"]`);
  await last.and(page.locator('[aria-selected="true"]')).waitFor();
  assert.match(await last.innerText(), new RegExp(`tiny-${String(ITEMS - 1).padStart(4, '0')}\\.jpg`));
  await page.keyboard.press('Enter');
  await page.getByTestId('inspector-position').filter({ hasText: `${ITEMS} / ${ITEMS}` }).waitFor();
  await page.keyboard.press('k');
  await page.getByTestId('inspector-filename').filter({ hasText: `tiny-${String(ITEMS - 2).padStart(4, '0')}.jpg` }).waitFor();
  await page.keyboard.press('Escape');

  // Back in the gallery, a text filter narrows thousands to one.
  await page.getByTestId('filter-text').fill('tiny-0042');
  await gallery.and(page.locator('[data-total="1"]')).waitFor();
  assert.equal(await tiles.count(), 1);

  // Reviewing the "unreviewed" list: each verdict drops its item from the list, and `j` still
  // goes to the item that followed it, not to one further down.
  await page.getByTestId('filter-clear').click();
  await page.getByTestId('sort-key').selectOption('name');
  await page.getByTestId('filter-verdict').selectOption('unreviewed');
  await gallery.and(page.locator(`[data-total="${ITEMS}"]`)).waitFor();
  await page.locator('[data-testid="tile"][data-index="0"]').filter({ hasText: 'tiny-0000.jpg' }).click();
  const shown = page.getByTestId('inspector-filename');
  await shown.filter({ hasText: 'tiny-0000.jpg' }).waitFor();
  await page.keyboard.press('1');
  await page.keyboard.press('j');
  await shown.filter({ hasText: 'tiny-0001.jpg' }).waitFor();
  await page.keyboard.press('1');
  // Once the list is refreshed it no longer holds the current item.
  await page.getByTestId('inspector-position').filter({ hasText: 'not in the list' }).waitFor();
  await page.keyboard.press('j');
  await shown.filter({ hasText: 'tiny-0002.jpg' }).waitFor();
  assert.equal(await page.getByTestId('inspector-position').innerText(), `1 / ${ITEMS - 2}`);
  assert.deepEqual(app.pageErrors, []);
});
