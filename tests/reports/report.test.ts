// The case report end to end: a real case (JPEGs imported and scored by the fixture models,
// reviewed, with a saved evaluation) exported to PDF by headless Chromium, then read back with
// poppler (pdftotext, pdftoppm) the way another examiner's tools would see it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { isImageItem, VERDICTS, type EvidenceItem } from '../../src/contract/case';
import { isFlagged } from '../../src/contract/flagged';
import { evaluate, loadLabelledSet } from '../../src/main/evaluation';
import { spawnSync } from 'node:child_process';
import { exportCaseReport, numberedReportPath, readAnchor, ReportError, type ExportedReport } from '../../src/main/reports';
import { saveEvaluation } from '../../src/main/store/evaluations';
import { makeCnnDetectionSet } from '../evaluation/datasets';
import { appendixPage, coverText, ensureReportPageBuilt, makeAnalysedCase, pdfPages, renderPage, reportSettings, reportSkipReason, tempDir, type TestCase } from './helpers';

const skip = reportSkipReason();
const VERDICT_TEXT = { authentic: 'Authentic', manipulated: 'Manipulated', generated: 'AI-generated', inconclusive: 'Inconclusive' } as const;
const noSpace = (s: string) => s.replace(/\s+/g, '');

describe('case report PDF', { skip }, () => {
  let root: string;
  let kase: TestCase;
  let items: EvidenceItem[];
  let report: ExportedReport;
  let pages: string[];
  let evaluationId: string;

  before(async () => {
    await ensureReportPageBuilt();
    root = tempDir('pl-report-');
    kase = await makeAnalysedCase(root, 8, {
      0: [{ verdict: 'authentic', notes: 'Sensor noise consistent across the frame.' }],
      1: [{ verdict: 'manipulated', flagged: true, notes: 'Sky looks pasted.' }, { verdict: 'generated', notes: 'Second look: generator artefacts in the foliage.' }],
      2: [{ verdict: 'inconclusive' }],
      3: [{ verdict: 'manipulated', flagged: true }],
    });
    const datasetRoot = await makeCnnDetectionSet(path.join(root, 'dataset'), { generators: ['progan', 'stylegan'], perClass: 3, size: 64 });
    const settings = reportSettings();
    const { detectors } = await settings.catalogue.openDetectors();
    try {
      const result = await evaluate(await loadLabelledSet(datasetRoot), detectors, { bootstrap: 0 });
      evaluationId = saveEvaluation(kase.store, result).id;
    } finally {
      await Promise.all(detectors.map((d) => d.close()));
    }
    items = kase.store.listEvidence({ sort: 'time' });
    report = await exportCaseReport(kase.store, { ...settings, out: path.join(root, 'out', 'report.pdf'), items: 'all', anchorBook: kase.anchorBook });
    pages = pdfPages(report.pdfPath);
  });

  after(() => {
    kase?.store.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('the text holds every evidence SHA-256, every verdict and every model ONNX SHA-256', () => {
    const all = noSpace(pages.join('\n'));
    for (const item of items) assert.ok(all.includes(item.sha256!), `SHA-256 of ${item.fileName} is in the PDF`);

    const models = kase.store.listRuns().flatMap((r) => r.parameters.models);
    assert.equal(new Set(models.map((m) => m.id)).size, 2, 'both fixture models ran');
    for (const m of models) assert.ok(all.includes(m.onnxSha256), `ONNX SHA-256 of ${m.id} is in the PDF`);

    // Each hash prints on one line (whole, in the evidence table), not only once the spaces are gone.
    const evidencePage = pages.find((p) => p.includes('2 Evidence'))!;
    for (const item of items) assert.ok(evidencePage.includes(item.sha256!), `${item.fileName}'s hash is unbroken in the evidence table`);

    // The verdict sits on the file name's line of the evidence table.
    const reviewed = items.filter((i) => i.review?.verdict);
    assert.equal(reviewed.length, 4);
    for (const item of reviewed) {
      const line = evidencePage.split('\n').find((l) => l.includes(item.fileName));
      assert.ok(line?.includes(VERDICT_TEXT[item.review!.verdict!]), `row of ${item.fileName} shows ${item.review!.verdict}: ${line}`);
    }
    const summary = pages.find((p) => p.includes('1 Summary'))!;
    for (const v of VERDICTS) {
      const expected = items.filter((i) => i.review?.verdict === v).length;
      assert.match(summary, new RegExp(`${VERDICT_TEXT[v]}\\s+${expected}\\s`), `summary counts ${expected} ${v}`);
    }
  });

  test('the cover names the case, examiner, software and states that the evidence verified', () => {
    const cover = coverText(pages);
    for (const text of ['Harbour fire photographs', 'PL-2026-0042', 'A. Examiner', 'Forensic Unit North', 'provenance-lab', report.reportId, 'Integrity verified at report time']) {
      assert.ok(cover.includes(text), `cover shows "${text}"`);
    }
    assert.ok(!cover.includes('MISMATCH'));
    assert.ok(cover.includes('TEST FIXTURE — NOT A DETECTOR'), 'fixture models are marked on the cover');
    assert.match(cover, /JPEG re-compression quality[\s\S]*\b90\b/);
  });

  test('every page carries the report id and "Page X of Y"', () => {
    assert.ok(pages.length >= 2 + items.length, `${pages.length} pages`);
    pages.forEach((page, i) => {
      assert.ok(page.includes(report.reportId), `page ${i + 1} carries the report id`);
      assert.ok(page.includes(`Page ${i + 1} of ${pages.length}`), `page ${i + 1} is numbered`);
    });
  });

  /** The text of item section n (1-based): its first page and any page it runs on to. */
  function sectionText(n: number): string {
    const heading = new RegExp(`^\\s*3\\.${n}\\s`, 'm');
    const start = pages.findIndex((p) => heading.test(p));
    assert.ok(start >= 0, `section 3.${n} starts a page`);
    const startsSomething = (p: string) => /^\s*(3\.\d+\s|Appendix|4 Detector evaluation)/m.test(p);
    let end = start + 1;
    while (end < pages.length && !startsSomething(pages[end])) end++;
    return pages.slice(start, end).join('\n');
  }

  test('each item has its own page with scores, findings and the review history', () => {
    assert.equal(report.itemSections, items.length);
    for (const [n, item] of items.entries()) {
      const text = sectionText(n + 1);
      for (const part of [item.fileName, item.sha256!, 'Detector scores', 'ELA heatmap', 'ELA statistics', 'Findings', "Examiner's review"]) {
        assert.ok(text.includes(part), `section of ${item.fileName} shows "${part}"`);
      }
      if (item.review?.notes) assert.ok(noSpace(text).includes(noSpace(item.review.notes)), `notes of ${item.fileName} are printed`);
      const r = item.latestResult?.ela?.stats.topRegion;
      if (r) assert.ok(text.includes(`most anomalous ELA region, ${r.width} × ${r.height} px at (${r.x}, ${r.y})`), `the region box of ${item.fileName} is explained`);
    }
    const twice = sectionText(2);
    assert.ok(twice.includes('Review history') && twice.includes('Sky looks pasted.') && /Manipulated\s+flagged\s+Sky/.test(twice), 'both reviews of item 2 are listed');
    const photoshopped = items.flatMap((item, n) => (item.metadata!.exif.software === 'Adobe Photoshop 25.0' ? [n + 1] : []));
    assert.ok(photoshopped.length > 0);
    for (const n of photoshopped) {
      assert.match(sectionText(n).split('Findings')[1], /editing software \("Adobe Photoshop 25\.0"\)/, `the editing-software finding of item ${n} is printed`);
    }
  });

  test('the evaluation saved in the case prints its per-generator table, confusion matrix and ROC curve', () => {
    const evalPages = pages.filter((p) => noSpace(p).includes(evaluationId));
    assert.equal(evalPages.length, 2, 'one page per evaluated model');
    assert.ok(evalPages[0].includes('Detector evaluation'));
    for (const page of evalPages) {
      for (const text of ['Per generator', 'progan', 'stylegan', 'Confusion matrix', 'ROC curve', 'Precision–recall curve', 'Scored fake', 'Actually real']) {
        assert.ok(page.includes(text), `evaluation page shows "${text}"`);
      }
      assert.match(page, /AUC \d\.\d{3}/);
      assert.match(page, /AP \d\.\d{3}/, 'the PR curve is labelled with its average precision');
    }
    // fixture-ela-cnn detects manipulations; the CNNDetection set holds generated images.
    // (Both pages name both models in the evaluation's notes: find each by its model line.)
    const pageOf = (id: string) => evalPages.find((p) => new RegExp(`Model\\s+${id} \\S+ \\(`).test(p))!;
    assert.match(pageOf('fixture-ela-cnn'), /Task mismatch/);
    assert.ok(!pageOf('fixture-texture-cnn').includes('Task mismatch'), 'the generated-image model matches the set');
  });

  test('the appendix holds the verification at report time and the full audit log', () => {
    const appendixA = appendixPage(pages, 'A');
    assert.ok(appendixA.includes('VERIFIED') && appendixA.includes(`${items.length} of ${items.length} match`));
    const auditText = pages.slice(pages.findIndex((p) => p.includes('Appendix B'))).join('\n');
    const log = kase.store.auditLog().filter((e) => e.action !== 'report.export');
    for (const entry of log) assert.ok(auditText.includes(entry.action), `audit log lists ${entry.action}`);
    // Entry hashes print in two halves of 32 hex digits.
    const last = log[log.length - 1].hash;
    assert.ok(auditText.includes(last.slice(0, 32)) && auditText.includes(last.slice(32)), 'the last entry before the export is printed with its hash');
  });

  test('report.pdf.sha256 matches the file and the audit log records the export after writing it', () => {
    const bytes = fs.readFileSync(report.pdfPath);
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    const sha = createHash('sha256').update(bytes).digest('hex');
    assert.equal(fs.readFileSync(report.sha256Path, 'utf8'), `${sha}  report.pdf\n`);
    assert.equal(report.sha256, sha);
    const exports = kase.store.auditLog({ entity: 'report' });
    const entry = exports.find((e) => e.entityId === report.reportId);
    assert.ok(entry, 'report.export is in the audit log');
    assert.equal(entry.action, 'report.export');
    const details = entry.details as { sha256: string; itemsMode: string; reportId: string; itemIds: number[] };
    assert.equal(details.sha256, sha);
    assert.equal(details.itemsMode, 'all');
    assert.deepEqual(details.itemIds, items.map((i) => i.id));
    assert.equal(fs.existsSync(`${report.pdfPath}.partial`), false);
  });

  test('the report pins the audit head it describes: on the cover, inside the PDF and beside it', () => {
    const anchor = report.anchor!;
    assert.ok(anchor, 'made with the installation key, the report is anchored');
    const cover = noSpace(coverText(pages));
    assert.ok(cover.includes(noSpace(`entry #${anchor.seq}`)) && cover.includes(anchor.hash), 'the cover prints the head');
    assert.ok(cover.includes(anchor.mac), 'and its signature');
    const appendixA = noSpace(appendixPage(pages, 'A'));
    assert.ok(appendixA.includes(anchor.keyId) && appendixA.includes('provenanceverify<casefolder>--report<thisPDF>'), 'Appendix A says who signed it and how to check the case');
    const pdf = fs.readFileSync(report.pdfPath);
    assert.deepEqual(readAnchor(pdf), anchor, 'the PDF carries the same anchor');
    assert.equal(anchor.ref, report.reportId);
    assert.equal(kase.anchorBook.authenticate(anchor), 'valid');
    const sidecar = JSON.parse(fs.readFileSync(report.anchorPath!, 'utf8'));
    assert.deepEqual(sidecar, { report: 'report.pdf', sha256: report.sha256, anchor });
    // The anchor is added as an incremental update: readers still see the document and its title.
    const info = spawnSync('pdfinfo', [report.pdfPath], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /Title:\s+Case report Harbour fire photographs/);
    assert.match(info.stdout, /Pages:\s+\d+/);
    // The export itself is anchored too, in the installation's log.
    const logged = fs.readFileSync(kase.anchorBook.logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const exportEntry = kase.store.auditLog({ entity: 'report' }).find((e) => e.entityId === report.reportId)!;
    assert.ok(logged.some((a) => a.seq === exportEntry.seq && a.ref === report.reportId));
  });

  test('refuses to write the report over the case database or an evidence file', async () => {
    for (const target of [path.join(kase.dir, 'case.sqlite'), items[0].path]) {
      await assert.rejects(exportCaseReport(kase.store, { ...reportSettings(), out: target }), (err: Error) => err.name === 'ReportError' && /would overwrite/.test(err.message));
    }
    // Also through a symbolic link, and where only the .sha256 beside it would land on evidence.
    const link = path.join(root, 'out', 'innocent.pdf');
    fs.symlinkSync(items[1].path, link);
    await assert.rejects(exportCaseReport(kase.store, { ...reportSettings(), out: link }), /would overwrite evidence item/);
    const besideEvidence = path.join(root, 'out', 'target.pdf.sha256');
    fs.copyFileSync(items[2].path, besideEvidence);
    kase.store.addEvidence({ ...items[2].metadata!, path: besideEvidence, fileName: path.basename(besideEvidence) });
    await assert.rejects(exportCaseReport(kase.store, { ...reportSettings(), out: path.join(root, 'out', 'target.pdf') }), /would overwrite evidence item/);
    await assert.rejects(exportCaseReport(kase.store, { ...reportSettings(), out: 'relative.pdf' }), /must be absolute/);
    assert.equal(fs.readFileSync(items[0].path).subarray(0, 2).toString('hex'), 'ffd8', 'the evidence is untouched');
  });

  test('page 1 and an item page render as non-blank A4 pages', async () => {
    const itemPage = pages.findIndex((p) => p.includes('3.1') && p.includes('Detector scores')) + 1;
    for (const [page, minStdev] of [[1, 10], [itemPage, 20]] as const) {
      const png = renderPage(report.pdfPath, page, path.join(root, `page-${page}`));
      const meta = await sharp(png).metadata();
      // A4 at 50 dpi: 8.27 × 11.69 in → 413 × 585 px.
      assert.ok(Math.abs(meta.width! - 413) <= 2 && Math.abs(meta.height! - 585) <= 2, `page ${page} is ${meta.width}×${meta.height}`);
      assert.ok(Math.abs(meta.width! / meta.height! - 1 / Math.SQRT2) < 0.01);
      const stats = await sharp(png).stats();
      for (const channel of stats.channels.slice(0, 3)) assert.ok(channel.stdev > minStdev, `page ${page} is not blank (stdev ${channel.stdev.toFixed(1)})`);
      assert.ok(stats.channels.slice(0, 3).some((c) => c.min < 60), `page ${page} has dark text`);
    }
    // The item page carries the photograph and the heatmap: far more colour than text on white.
    const { channels: c } = await sharp(renderPage(report.pdfPath, itemPage, path.join(root, 'item'))).stats();
    const cover = await sharp(renderPage(report.pdfPath, 1, path.join(root, 'cover'))).stats();
    assert.ok(c[0].stdev + c[1].stdev + c[2].stdev > cover.channels.slice(0, 3).reduce((s, ch) => s + ch.stdev, 0), 'the item page has pictures');
  });

  test('the cover carries a declaration naming the examiner and a signature block', () => {
    const cover = coverText(pages);
    assert.match(cover, /Declaration/);
    assert.match(noSpace(cover), new RegExp(noSpace('I, A. Examiner, of Forensic Unit North, declare that this report was produced')));
    assert.match(cover, /Signature/);
    assert.match(cover, /Date and place/);
    // Every time on the cover is written the same way: UTC with the zone.
    const times = cover.match(/\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?[^\s]*/g) ?? [];
    assert.ok(times.length >= 4, `times on the cover: ${times.join(', ')}`);
    assert.ok(!/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(pages.join('\n')), 'no raw ISO timestamps anywhere in the report');
  });

  test('an existing report is never overwritten: the next one is numbered, and an examiner is required', async () => {
    const before = fs.readFileSync(report.pdfPath);
    const again = await exportCaseReport(kase.store, { ...reportSettings(), out: report.pdfPath, items: 'reviewed' });
    assert.equal(again.requestedPath, report.pdfPath);
    assert.equal(again.pdfPath, path.join(root, 'out', 'report-2.pdf'));
    assert.deepEqual(fs.readFileSync(report.pdfPath), before, 'the first report is untouched');
    assert.equal(fs.readFileSync(`${again.pdfPath}.sha256`, 'utf8'), `${again.sha256}  report-2.pdf\n`);
    assert.equal(numberedReportPath('/x/case report.pdf', 3), '/x/case report-3.pdf');

    kase.store.updateCase({ examiner: '' });
    try {
      await assert.rejects(exportCaseReport(kase.store, { ...reportSettings(), out: path.join(root, 'out', 'nobody.pdf') }), (err: unknown) => err instanceof ReportError && err.code === 'NO_EXAMINER');
      assert.equal(fs.existsSync(path.join(root, 'out', 'nobody.pdf')), false);
    } finally {
      kase.store.updateCase({ examiner: 'A. Examiner' });
    }
  });

  test('a file tampered with after import is named as a mismatch on the cover', async () => {
    const tampered = items[4];
    fs.appendFileSync(tampered.path, Buffer.from('tampered'));
    const second = await exportCaseReport(kase.store, { ...reportSettings(), out: path.join(root, 'out', 'second.pdf'), items: 'flagged', anchorBook: kase.anchorBook });
    const text = pdfPages(second.pdfPath);
    const cover = coverText(text);
    assert.match(cover, /INTEGRITY MISMATCH/);
    assert.ok(cover.includes(tampered.fileName), 'the cover names the tampered file');
    assert.match(cover, new RegExp(`${tampered.fileName.replace('.', '\\.')}.*MODIFIED`));
    assert.equal(second.verified, false);
    assert.deepEqual(second.integrityProblems.map((p) => [p.id, p.status]), [[tampered.id, 'modified']]);
    const evidencePage = text.find((p) => p.includes('2 Evidence'))!;
    assert.ok(evidencePage.split('\n').some((l) => l.includes(tampered.fileName) && l.includes('MODIFIED')), 'the evidence row is marked MODIFIED');
    // Flagged mode: the items flagged as contract/flagged.ts defines it get sections: here the
    // reviewer-flagged ones and those whose metadata names Photoshop (fixture scores never flag).
    // The case as it is now: an earlier test added an item (a copy of a Photoshop-tagged file).
    const now = kase.store.listEvidence({ sort: 'time' }).filter(isImageItem);
    const flaggedIds = now.filter(isFlagged).map((i) => i.id);
    assert.deepEqual(
      flaggedIds,
      now.filter((i) => i.review?.flagged || i.metadata?.exif.software === 'Adobe Photoshop 25.0').map((i) => i.id),
    );
    assert.equal(second.itemSections, flaggedIds.length);
    const entry = kase.store.auditLog({ entity: 'report' }).find((e) => e.entityId === second.reportId)!;
    assert.deepEqual((entry.details as { integrityProblems: unknown }).integrityProblems, [{ id: tampered.id, status: 'modified' }]);
  });
});
