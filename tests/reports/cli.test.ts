// `provenance report` on a 30-item case, plus the layout rule every printed hash relies on:
// it fits whole on one line of its table cell.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { main } from '../../src/main/cli';
import { buildReportData, reportDocument, serveReportRequest } from '../../src/main/reports';
import { openCaseDatabase } from '../../src/main/store';
import { runCli } from '../cli/run';
import { CHROMIUM_PATH, RENDERER_DIR } from '../e2e/harness';
import { ensureReportPageBuilt, makeAnalysedCase, pdfPages, reportSettings, reportSkipReason, tempDir } from './helpers';

const skip = reportSkipReason();

describe('provenance report', { skip }, () => {
  let root: string;
  let caseDir: string;
  let hashes: string[];

  before(async () => {
    await ensureReportPageBuilt();
    root = tempDir('pl-report-cli-');
    const kase = await makeAnalysedCase(root, 30, { 0: [{ verdict: 'manipulated', flagged: true, notes: 'Cloned window.' }], 5: [{ verdict: 'authentic' }] }, { width: 96, height: 72 });
    caseDir = kase.dir;
    hashes = kase.store.listEvidence({ sort: 'time' }).map((i) => i.sha256!);
    kase.store.close();
  });

  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('writes the PDF and its .sha256, records the export, and the long evidence table repeats its header', () => {
    const out = path.join(root, 'reports', 'case.pdf');
    const r = runCli(['report', caseDir, '--out', out, '--items', 'reviewed', '--examiner', 'B. Second', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const sha = createHash('sha256').update(fs.readFileSync(out)).digest('hex');
    assert.ok(r.stdout.includes(sha), r.stdout);
    assert.equal(fs.readFileSync(`${out}.sha256`, 'utf8'), `${sha}  case.pdf\n`);

    const pages = pdfPages(out);
    const tablePages = pages.filter((p) => p.includes('File name / SHA-256'));
    assert.ok(tablePages.length >= 2, `the 30-row table spans ${tablePages.length} pages`);
    for (const p of tablePages) assert.match(p, /#\s+File name \/ SHA-256\s+Size\s+Pixels\s+Verdict\s+Scores\s+Flags/, 'each page of the table starts with its header');
    const table = tablePages.join('\n');
    for (const h of hashes) assert.ok(table.includes(h), `evidence hash ${h.slice(0, 12)}… is printed whole`);
    assert.ok(pages[0].includes('B. Second'), 'the cover names who exported it');

    const store = openCaseDatabase(caseDir, { readonly: true });
    try {
      const entry = store.auditLog({ entity: 'report' }).at(-1)!;
      assert.equal(entry.action, 'report.export');
      assert.equal(entry.actor, 'B. Second');
      assert.equal((entry.details as { sha256: string }).sha256, sha);
      assert.equal((entry.details as { itemIds: number[] }).itemIds.length, 2, 'two reviewed items got sections');
    } finally {
      store.close();
    }
  });

  test('verify --report holds the case against the anchor the PDF carries, on any installation', () => {
    const out = path.join(root, 'reports', 'anchored.pdf');
    const before = path.join(root, 'case-before-report.sqlite');
    fs.copyFileSync(path.join(caseDir, 'case.sqlite'), before);
    const r = runCli(['report', caseDir, '--out', out, '--items', 'flagged', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /pins audit entry #\d+ [0-9a-f]{64} → .*anchored\.pdf\.anchor\.json/);
    const elsewhere = { PROVENANCE_STATE_DIR: path.join(root, 'another-installation') };

    const ok = runCli(['verify', caseDir, '--report', out, '--no-files'], { env: elsewhere });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /ok \[report\] the report anchor #\d+ .* in .*anchored\.pdf matches the log \(made by another installation/);
    assert.match(ok.stdout, /VERIFIED: case intact, anchored at entry #\d+/);

    // The PDF changed after export: its hash no longer is the one the log recorded.
    const changed = path.join(root, 'reports', 'changed.pdf');
    fs.writeFileSync(changed, Buffer.concat([fs.readFileSync(out), Buffer.from('\n%%EOF\n')]));
    const edited = runCli(['verify', caseDir, '--report', changed, '--no-files'], { env: elsewhere });
    assert.equal(edited.status, 1, edited.stdout);
    assert.match(edited.stdout, /MISMATCH \[report\] .*the PDF was changed/);

    // The database as it was just before the report: the head the report pins is there, its own export entry is not.
    const copy = path.join(root, 'case-copy');
    fs.cpSync(caseDir, copy, { recursive: true });
    fs.copyFileSync(before, path.join(copy, 'case.sqlite'));
    fs.rmSync(path.join(copy, 'audit-anchors.jsonl'), { force: true });
    const rolledBack = runCli(['verify', copy, '--report', out, '--no-files'], { env: elsewhere });
    assert.equal(rolledBack.status, 1, rolledBack.stdout);
    assert.match(rolledBack.stdout, /MISSING \[report\] the log has no report\.export entry for report [0-9a-f-]{36} .*entries after #\d+ were removed/);
    const notAReport = runCli(['verify', caseDir, '--report', before], { env: elsewhere });
    assert.equal(notAReport.status, 2);
    assert.match(notAReport.stderr, /carries no audit anchor/);
  });

  test('wrong arguments exit 2 with the command help', async () => {
    const r = runCli(['report', caseDir, '--out', path.join(root, 'x.pdf'), '--items', 'some']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--items must be one of all, flagged, reviewed/);
    assert.match(r.stderr, /provenance report <case-folder> --out report\.pdf/);
    // The same entry point in process (no second CLI start-up) for the other mistakes.
    const quiet = console.error;
    console.error = () => {};
    try {
      assert.equal(await main(['report', caseDir]), 2, 'no --out');
      assert.equal(await main(['report', caseDir, '--out', path.join(root, 'x.pdf'), '--ids', '1,b']), 2, 'bad --ids');
      assert.equal(await main(['report', caseDir, '--out', path.join(root, 'x.pdf'), '--ids', '1', '--items', 'all']), 2, 'both --ids and --items');
    } finally {
      console.error = quiet;
    }
    assert.equal(fs.existsSync(path.join(root, 'x.pdf')), false);
  });

  test('every printed hash fits whole on one line of its cell', async () => {
    const store = openCaseDatabase(caseDir, { readonly: true });
    let data;
    try {
      data = await buildReportData(store, { ...reportSettings(), items: 'flagged' });
    } finally {
      store.close();
    }
    const doc = reportDocument(data, RENDERER_DIR);
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      // The printable width of A4 with the printer's 14 mm side margins: 182 mm at 96 px per inch.
      const page = await browser.newPage({ viewport: { width: Math.round((182 / 25.4) * 96), height: 1000 } });
      await page.route('**/*', async (route) => {
        const answer = serveReportRequest(doc, new URL(route.request().url()).pathname);
        if (answer) await route.fulfill({ body: answer.body, contentType: answer.contentType });
        else await route.abort();
      });
      await page.emulateMedia({ media: 'print' });
      await page.goto('http://report.provenance.invalid/report.html');
      await page.waitForSelector('html[data-report-ready]', { state: 'attached' });
      // A string: this file is type-checked without the DOM library.
      const overflowing = (await page.evaluate(
        `[...document.querySelectorAll('.hash, .entry-hash')].filter((e) => e.scrollWidth > e.clientWidth + 1 || e.parentElement.scrollWidth > e.parentElement.clientWidth + 1).map((e) => e.textContent)`,
      )) as string[];
      const checked = (await page.evaluate(`document.querySelectorAll('.hash, .entry-hash').length`)) as number;
      assert.ok(checked > 60, `${checked} hashes checked`);
      assert.deepEqual(overflowing, []);
    } finally {
      await browser.close();
    }
  });
});
