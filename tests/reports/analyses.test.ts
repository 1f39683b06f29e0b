// The forensic analyses in the PDF report, read back with pdftotext: the cover lists every
// analysis with its version and parameters; each item's pages give its findings (flag, reason,
// key figures, parameters) and the map of an analysis run in the inspector.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ANALYSES } from '../../src/main/analysis/catalogue';
import { exportCaseReport } from '../../src/main/reports';
import { createAppServices, type AppServices } from '../../src/main/services';
import { testConfigStore } from '../config';
import { caller, finishedJob } from '../services/call';
import { ensureReportPageBuilt, pdfPages, renderPage, reportSettings, reportSkipReason, tempDir } from './helpers';

const skip = reportSkipReason();
const repo = path.resolve(import.meta.dirname, '../..');
const noSpace = (s: string) => s.replace(/\s+/g, '');

describe('forensic analyses in the case report', { skip, timeout: 900_000, concurrency: 1 }, () => {
  let root = '';
  let services: AppServices;
  let pages: string[] = [];
  let pdf = '';
  const call = caller(() => services);

  before(async () => {
    await ensureReportPageBuilt();
    root = tempDir('pl-report-analyses-');
    const made = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-sample.ts', path.join(root, 'sample')], { cwd: repo, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const evidence = path.join(root, 'evidence');
    fs.mkdirSync(evidence);
    for (const name of ['clone.jpg', 'thumbnail-mismatch.jpg', 'noise-splice.jpg']) fs.copyFileSync(path.join(root, 'sample', 'forensics', name), path.join(evidence, name));
    services = createAppServices({ config: testConfigStore({ stateDir: path.join(root, 'state') }), shell: 'test-server', pickFolder: async () => null });
    await call('cases.create', { dir: path.join(root, 'case'), name: 'Report analyses', examiner: 'T. Ester' });
    const { jobId } = await call('evidence.import', { paths: [evidence] });
    assert.equal((await finishedJob(services, jobId, 'import')).status, 'completed');
    const clone = (await call('evidence.list', { text: 'clone.jpg' })).items[0]!;
    await call('analysis.run', { id: clone.id, analysis: 'copyMove' });
    pdf = path.join(root, 'out', 'report.pdf');
    await exportCaseReport(services.context.requireCase().store, { ...reportSettings(), out: pdf, items: 'all', generatedBy: 'T. Ester' });
    pages = pdfPages(pdf);
    fs.mkdirSync(path.join(repo, 'tests', 'artifacts'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'tests', 'artifacts', 'report-analyses.txt'), pages.join('\n\f'));
  });

  after(async () => {
    await services?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('the cover lists every analysis with its version', () => {
    // The cover runs until its declaration (over more than one page).
    const cover = noSpace(pages.slice(0, pages.findIndex((p) => p.includes('Declaration')) + 1).join('\n'));
    assert.ok(cover.includes('Forensicanalyses'));
    for (const a of ANALYSES) assert.ok(cover.includes(noSpace(a.version)), `${a.version} on the cover`);
    assert.ok(cover.includes('blockSize32'), 'default parameters printed');
  });

  test("each item's pages give its findings, and the inspector's map", () => {
    // An item's pages: from its "3.n <name>" heading to the next item's heading (or the appendix).
    const itemText = (name: string) => {
      const start = pages.findIndex((p) => new RegExp(`^\\s*\\d+\\.\\d+ ${name.replace('.', '\\.')}`, 'm').test(p));
      assert.ok(start >= 0, `${name} has its own pages`);
      let end = start + 1;
      while (end < pages.length && !/^\s*\d+\.\d+ \S+\.(jpg|png)/m.test(pages[end]!) && !/Audit|Verification/.test(pages[end]!.slice(0, 400))) end++;
      return noSpace(pages.slice(start, end).join('\n'));
    };
    const thumb = itemText('thumbnail-mismatch.jpg');
    assert.match(thumb, /EXIFthumbnail[\s\S]*FLAGGED/, 'the thumbnail finding is flagged in its item pages');
    assert.ok(thumb.includes('thumbnail/1'));
    const clone = itemText('clone.jpg');
    assert.ok(clone.includes('Copy-move') && clone.includes('Verifiedmatches'), 'the on-demand copy-move finding with its key figures');
    assert.ok(clone.includes('Clonedareas'), 'the cached copy-move map with its caption');
    assert.ok(clone.includes('Doesnotprove'), 'a flagged finding says what it does not prove');
    const noise = itemText('noise-splice.jpg');
    assert.match(noise, /Noiseresidual[\s\S]*FLAGGED/);
    assert.ok(noise.includes('Parameters:blockSize32'));
    // The evidence table names the analyses that flagged each item.
    // (pdftotext lays the table out in columns: the label may wrap onto the row's next line.)
    assert.match(noSpace(pages.join('\n')), /thumbnail-mismatch\.jpg[\s\S]{0,300}analysis:[\s\S]{0,200}EXIFthumbnail/);
  });

  test('the map is printed as a picture (page rendered and looked at in tests/artifacts)', () => {
    const index = pages.findIndex((p) => noSpace(p).includes('Clonedareas'));
    assert.ok(index >= 0);
    const png = renderPage(pdf, index + 1, path.join(root, 'clone-page'), 60);
    fs.mkdirSync(path.join(repo, 'tests', 'artifacts'), { recursive: true });
    fs.copyFileSync(png, path.join(repo, 'tests', 'artifacts', 'report-analyses-clone-page.png'));
    assert.ok(fs.statSync(png).size > 10_000);
  });
});
