// "Export report…" in the real renderer (plain Chromium) against the real engine: a small case
// imported through the UI, the PDF written where the (stand-in) save dialog says, and the dialog
// showing the report's path, the SHA-256 that sits beside it, and that the case verified.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeJpeg } from '../fixtures/images';
import { createCaseThroughUi, e2eSkipReason, importThroughUi, screenshot, slow, startApp, waitForReport, type AppUnderTest } from './harness';

const skip = e2eSkipReason();
const IMAGES = 4;

let app: AppUnderTest;
let evidenceDir: string;

before(async () => {
  if (skip) return;
  app = await startApp();
  evidenceDir = path.join(app.tmp, 'evidence');
  fs.mkdirSync(evidenceDir);
  for (let i = 1; i <= IMAGES; i++) await makeJpeg(path.join(evidenceDir, `photo-${i}.jpg`), { width: 160, height: 120, seed: i, quality: 85 });
});

after(async () => {
  await app?.close();
});

test('export a case report from the app: PDF, .sha256 and the hash on screen', { skip, timeout: slow(300_000) }, async () => {
  const { page } = app;
  await createCaseThroughUi(app, path.join(app.tmp, 'case'), { name: 'Report me', number: 'R-7', examiner: 'E. Examiner' });
  await importThroughUi(app, evidenceDir);
  assert.equal(await page.getByTestId('import-progress').getByTestId('job-ok').innerText(), String(IMAGES));

  await page.getByTestId('report-export-open').click();
  const dialog = page.getByTestId('report-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('report-items-all').check();

  // The save dialog is cancelled: there is no path to type instead (the renderer never chooses
  // an output path), so Export asks for the dialog.
  await dialog.getByTestId('report-choose').click();
  assert.equal(await dialog.getByTestId('report-path').innerText(), 'not chosen yet');
  assert.equal(await dialog.locator('input[type=text]:not([data-testid=report-examiner])').count(), 0, 'no text field for a path (the only text field is the examiner\'s name)');
  await dialog.getByTestId('report-export').click();
  assert.match(await dialog.getByTestId('report-path-error').innerText(), /Choose where the PDF goes/);

  // The save dialog answers: the path is shown and used.
  const out = path.join(app.tmp, 'out', 'case report.pdf');
  app.picks.save = out;
  await dialog.getByTestId('report-choose').click();
  await page.waitForFunction((expected) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=report-path]')?.textContent === expected, out);
  // No examiner, no report: the declaration on the cover must name who signs it.
  const examiner = dialog.getByTestId('report-examiner');
  assert.equal(await examiner.inputValue(), 'E. Examiner', "the case's examiner is filled in");
  await examiner.fill('  ');
  await dialog.getByTestId('report-export').click();
  assert.match(await dialog.getByTestId('report-error').innerText(), /Type the examiner's name: the report's declaration must name who signs it/);
  assert.equal(await dialog.getByTestId('report-job').count(), 0, 'no report job was started');
  await examiner.fill('E. Examiner');
  await dialog.getByTestId('report-export').click();
  const done = await waitForReport(dialog);

  const pdf = fs.readFileSync(out);
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF was written');
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  assert.equal(fs.readFileSync(`${out}.sha256`, 'utf8'), `${sha256}  ${path.basename(out)}\n`);
  assert.equal(await done.getByTestId('report-sha256').innerText(), sha256);
  assert.equal(await done.getByTestId('report-pdf-path').innerText(), out);
  assert.equal(await done.getAttribute('data-verified'), 'true');
  assert.match(await done.getByTestId('report-verified').innerText(), /Case verified/);
  assert.match(await done.innerText(), new RegExp(`${IMAGES} evidence items, ${IMAGES} item sections`));
  // The report pins the audit head, signed with the installation's key from the state folder.
  assert.match(await done.getByTestId('report-anchor').innerText(), /^entry #\d+ [0-9a-f]{16}…, in the PDF and in .*case report\.pdf\.anchor\.json$/);
  assert.ok(fs.existsSync(`${out}.anchor.json`));
  assert.ok(fs.existsSync(path.join(app.stateDir, 'anchor.key')), 'the key is in the state folder, not the case folder');
  await screenshot(page, 'report-export.png');

  // The fixture models scored every photo, but a fixture is not a detector and never flags: a
  // "Flagged" report of these photos (no reviewer flag, no editing-software tag) has no item pages.
  const flaggedOut = path.join(app.tmp, 'out', 'flagged.pdf');
  app.picks.save = flaggedOut;
  await dialog.getByTestId('report-items-flagged').check();
  await dialog.getByTestId('report-choose').click();
  await dialog.getByTestId('report-path').filter({ hasText: flaggedOut }).waitFor();
  await dialog.getByTestId('report-export').click();
  const flagged = await waitForReport(dialog, { pdfPath: flaggedOut });
  assert.match(await flagged.innerText(), new RegExp(`${IMAGES} evidence items, 0 item sections`));

  // Esc closes the dialog; the job ended, so the header button is ready for the next report.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('report-export-open').innerText(), 'Export report…');
  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);
});
