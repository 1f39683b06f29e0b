// The case as the unit of custody, in the real renderer (plain Chromium) against the real engine:
//   - a path that does not exist is refused before any job or audit entry;
//   - a folder with bad files is imported (copied into the case): every file, refused ones too,
//     is a gallery item, the "Errors only" filter counts them, and the PDF report made from the
//     app lists every one of them, with its reason, in its evidence table and summary;
//   - the report is never overwritten and names the examiner in a signed declaration; its cover
//     and audit appendix are rendered with pdftoppm and saved for a person to look at;
//   - an import's banner belongs to its case: another case never shows it;
//   - moved evidence is MISSING, relinked by hash from the Audit view, then RELINKED.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeBadFiles, makeJpeg, type BadFile, type BadFileName } from '../fixtures/images';
import { coverText, pdfPages, renderPage, reportSkipReason } from '../reports/helpers';
import {
  ARTIFACTS_DIR,
  createCaseThroughUi,
  e2eSkipReason,
  importThroughUi,
  invokeFromPage,
  screenshot,
  slow,
  startAppWithoutModels,
  waitForReport,
  type AppUnderTest,
} from './harness';

const skip = e2eSkipReason() ?? reportSkipReason();
const PHOTOS = 3;

let app: AppUnderTest;
let submitted: string;
let bad: Record<BadFileName, BadFile>;

before(async () => {
  if (skip) return;
  app = await startAppWithoutModels();
  submitted = path.join(app.tmp, 'submitted');
  bad = await makeBadFiles(path.join(submitted, 'problems'));
  for (let i = 1; i <= PHOTOS; i++) await makeJpeg(path.join(submitted, `photo-${i}.jpg`), { width: 200, height: 150, seed: i, quality: 85 });
});

after(async () => {
  if (bad) fs.chmodSync(bad['unreadable.jpg'].path, 0o644);
  await app?.close();
});

/** The files of the bad-file fixture that must come out as errors (refused at import, or a failed decode). */
function expectedFailures(): { name: string; path: string; code: string }[] {
  return Object.entries(bad)
    .filter(([, b]) => b.expect.stage !== 'ok' && !b.skip)
    .map(([name, b]) => ({ name, path: b.path, code: (b.expect as { code: string }).code }));
}

test('every submitted file, bad ones included, is in the gallery and in the report made from the app', { skip, timeout: slow(420_000) }, async () => {
  const { page } = app;
  const caseA = path.join(app.tmp, 'case-a');
  await createCaseThroughUi(app, caseA, { name: 'Custody A', number: 'C-1', examiner: 'E. Examiner' });
  const auditBefore = (await invokeFromPage(page, 'audit.list', {})).total;

  // A typo is refused at once: no job, no run, no audit entry.
  await page.getByTestId('import-path').fill(path.join(app.tmp, 'no-such-folder'));
  await page.getByTestId('import-start').click();
  assert.match(await page.getByTestId('import-error').innerText(), /no-such-folder does not exist: check the path\. Nothing was imported\./);
  assert.deepEqual(await invokeFromPage(page, 'jobs.list', {}), []);
  assert.equal((await invokeFromPage(page, 'audit.list', {})).total, auditBefore);

  // The folder with bad files, copied into the case.
  await page.getByTestId('import-copy').check();
  await importThroughUi(app, submitted);
  const progress = page.getByTestId('import-progress');
  assert.equal(await progress.getByTestId('job-status').textContent(), 'completed');
  const failures = expectedFailures();
  const goodCount = Number(await progress.getByTestId('job-ok').innerText());
  assert.equal(Number(await progress.getByTestId('job-failed').innerText()), failures.length);

  // Gallery: every file is an item; "Errors only" shows exactly the failures, refused ones marked.
  const gallery = page.getByTestId('gallery');
  await gallery.and(page.locator(`[data-total="${goodCount + failures.length}"]`)).waitFor();
  await page.getByTestId('filter-errors').check();
  await gallery.and(page.locator(`[data-total="${failures.length}"]`)).waitFor();
  const errorTiles = gallery.getByTestId('tile');
  await errorTiles.nth(failures.length - 1).waitFor();
  const refusedTiles = await gallery.locator('[data-testid="tile"][data-refused="true"]').count();
  assert.equal(refusedTiles, failures.filter((f) => f.code !== 'TRUNCATED').length, 'every failure but the decode failure is refused at import');
  await screenshot(page, 'custody-gallery-errors.png');

  // Images are read from their copies in the case folder.
  const list = await invokeFromPage(page, 'evidence.list', { hasError: false, limit: 100 });
  assert.ok(list.items.length > 0 && list.items.every((i) => i.storage === 'copy' && i.path.startsWith(path.join(caseA, 'evidence'))));

  // The report, from the app: the examiner is filled in from the case.
  const out = path.join(app.tmp, 'out', 'custody.pdf');
  app.picks.save = out;
  await page.getByTestId('report-export-open').click();
  const dialog = page.getByTestId('report-dialog');
  await dialog.getByTestId('report-items-all').check();
  assert.equal(await dialog.getByTestId('report-examiner').inputValue(), 'E. Examiner');
  await dialog.getByTestId('report-choose').click();
  await dialog.getByTestId('report-path').filter({ hasText: out }).waitFor();
  await dialog.getByTestId('report-export').click();
  await waitForReport(dialog);
  assert.equal(await dialog.getByTestId('report-pdf-path').innerText(), out);

  // Every bad file is in the evidence table with its reason, and counted in the summary.
  const pages = pdfPages(out);
  const evidenceText = pages.filter((p) => /2 Evidence|File name \/ SHA-256/.test(p)).join('\n');
  const flat = evidenceText.replace(/\s+/g, ' ');
  for (const f of failures) {
    const name = path.basename(f.path);
    assert.ok(flat.includes(name), `${name} is in the evidence table`);
    assert.ok(flat.includes(f.code), `${f.code} (${name}) is in the evidence table`);
  }
  // Every file of the folder has its row: the odd but readable ones (CMYK, 16-bit, animated,
  // a PNG named .jpg, ...) and the good photos too.
  for (const b of Object.values(bad)) assert.ok(flat.includes(path.basename(b.path)), `${path.basename(b.path)} has its row in the evidence table`);
  for (let i = 1; i <= PHOTOS; i++) assert.ok(flat.includes(`photo-${i}.jpg`), `photo-${i}.jpg has its row in the evidence table`);
  assert.match(flat, /Refused at import: \S+ —/);
  const summary = pages.find((p) => p.includes('1 Summary'))!.replace(/\s+/g, ' ');
  assert.match(summary, new RegExp(`Refused at import ${refusedTiles}\\b`));
  assert.match(summary, new RegExp(`Files submitted \\(items\\) ${goodCount + failures.length}\\b`));
  assert.match(coverText(pages), /I,\s+E\. Examiner,\s+declare/);
  assert.match(coverText(pages), /Signature/);

  // Cover and audit appendix as images, for a person to look at.
  // The page that opens Appendix B (the declaration on the cover refers to Appendix A by name).
  const appendix = pages.findIndex((p) => /^\s*Appendix B —/m.test(p));
  assert.ok(appendix > 0);
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  renderPage(out, 1, path.join(ARTIFACTS_DIR, 'custody-report-cover'), 80);
  renderPage(out, appendix + 1, path.join(ARTIFACTS_DIR, 'custody-report-audit'), 80);
  const auditText = pages.slice(appendix).join('\n');
  assert.match(auditText, /Evidence added/);
  assert.equal((auditText.match(/File refused \(kept\)/g) ?? []).length, refusedTiles, 'one audit row per refused file, in words');
  assert.ok(!/"digest"|\{"/.test(auditText), 'the audit appendix is a table in words, not JSON');

  // Exporting to the same path again keeps the first report and numbers the second. (The
  // save dialog's answer is single-use: it is asked again, and answers the same path.)
  const first = fs.readFileSync(out);
  await dialog.getByTestId('report-choose').click();
  await dialog.getByTestId('report-path').filter({ hasText: out }).waitFor();
  await dialog.getByTestId('report-export').click();
  await waitForReport(dialog, { renumbered: true });
  assert.equal(await dialog.getByTestId('report-pdf-path').innerText(), path.join(app.tmp, 'out', 'custody-2.pdf'));
  assert.deepEqual(fs.readFileSync(out), first);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  // Job state belongs to its case: a new case shows no import banner and lists no job of A.
  await page.getByTestId('filter-errors').uncheck();
  await createCaseThroughUi(app, path.join(app.tmp, 'case-b'), { name: 'Custody B', examiner: 'E. Examiner' });
  assert.equal(await page.getByTestId('import-progress').count(), 0, "case A's import banner is not shown in case B");
  assert.deepEqual((await invokeFromPage(page, 'jobs.list', {})).filter((j) => j.kind !== 'train'), [], "case A's jobs are not case B's");
  // Back in case A, its banner is there again.
  await page.getByTestId('nav-cases').click();
  await page.getByTestId('recent-cases').locator('li', { hasText: 'Custody A' }).getByTestId('recent-open').click();
  await page.getByTestId('import-progress').getByTestId('job-status').filter({ hasText: 'completed' }).waitFor();
  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors.filter((e) => !/404/.test(e)), []);
});

test('moved evidence: verify says MISSING, "Relink…" in the Audit view finds it by hash, verify says RELINKED', { skip, timeout: slow(180_000) }, async () => {
  const { page } = app;
  const photos = path.join(app.tmp, 'to-move');
  fs.mkdirSync(photos);
  for (let i = 1; i <= 2; i++) await makeJpeg(path.join(photos, `moved-${i}.jpg`), { width: 160, height: 120, seed: 20 + i });
  await createCaseThroughUi(app, path.join(app.tmp, 'case-c'), { name: 'Custody C', examiner: 'E. Examiner' });
  await importThroughUi(app, photos);
  const newHome = path.join(app.tmp, 'new-disk');
  fs.mkdirSync(newHome);
  fs.renameSync(photos, path.join(newHome, 'renamed'));

  await page.getByTestId('nav-audit').click();
  await page.getByTestId('verify-case').click();
  await page.locator('[data-testid="verify-report"][data-ok="false"]').waitFor();
  assert.deepEqual(await page.getByTestId('verify-evidence-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))), ['missing', 'missing']);

  await page.getByTestId('relink-folder-path').fill(newHome);
  await page.getByTestId('relink-start').click();
  await page.getByTestId('relink-result').filter({ hasText: '2 relinked, 0 still missing' }).waitFor({ timeout: slow(60_000) });
  await page
    .locator('[data-testid="verify-report"][data-ok="true"]')
    .waitFor({ timeout: slow(30_000) })
    .catch(async (err: Error) => {
      // Say what verify reported instead of only that it did not pass.
      throw new Error(`${err.message}\nverify says: ${await page.getByTestId('verify-report').innerText().catch(() => '(no report)')}`);
    });
  assert.deepEqual(await page.getByTestId('verify-evidence-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))), ['relinked', 'relinked']);
  const relinks = page.locator('[data-testid="audit-row"][data-action="evidence.relink"]');
  await relinks.first().waitFor();
  assert.equal(await relinks.count(), 2);
  assert.match(await relinks.first().innerText(), /Evidence relinked by SHA-256/);
  assert.match(await relinks.first().innerText(), /UTC/);
  await screenshot(page, 'custody-audit-relinked.png');
  assert.deepEqual(app.pageErrors, []);
});
