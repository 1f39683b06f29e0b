// The README's walkthrough of `npm run sample` as a case, as a user runs it (fixture models
// hidden, the default settings): every submitted file is an item, and the default report
// ("flagged" items, as contract/flagged.ts defines it) has item pages, edited.jpg's among them
// for its editing-software tag.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run';
import { pdfPages, reportSkipReason } from '../reports/helpers';

const root = path.resolve(import.meta.dirname, '../..');
const skip = reportSkipReason();
/** A user's installation: fixture models are not shown. */
const USER_ENV = { PROVENANCE_SHOW_FIXTURES: '0' };

describe('the sample as a case: every file an item, the default report with item pages', { skip, timeout: 900_000 }, () => {
  let dir = '';
  let sample = '';
  let caseDir = '';
  let importOut = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-sample-case-'));
    sample = path.join(dir, 'sample');
    caseDir = path.join(dir, 'sample-case');
    const made = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-sample.ts', sample], { cwd: root, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const imported = runCli(['import', caseDir, sample, '--name', 'Sample', '--examiner', 'A. Examiner', '--copy', '--quiet'], { env: USER_ENV, timeoutMs: 600_000 });
    assert.equal(imported.status, 0, imported.stderr);
    importOut = imported.stdout;
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the default report has item pages for the flagged items, and counts every submitted file', () => {
    const counts = /(\d+) imported, (\d+) refused or failed/.exec(importOut);
    assert.ok(counts, importOut);
    const submitted = Number(counts[1]) + Number(counts[2]);
    // Nothing submitted disappears: every file and link under the folder is an item.
    const entries = fs.readdirSync(sample, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory());
    assert.equal(submitted, entries.length, `every one of the sample's ${entries.length} files is an item: ${importOut}`);
    assert.ok(Number(counts[2]) >= 5, `the sample's problem files are refused or failed: ${importOut}`);
    const flagged = Number(/(\d+) flagged by a detector or an analysis/.exec(importOut)?.[1]);
    assert.ok(flagged > 0, importOut);

    const out = path.join(dir, 'sample-report.pdf');
    const r = runCli(['report', caseDir, '--out', out], { env: USER_ENV });
    assert.equal(r.status, 0, r.stderr);
    const sections = Number(/(\d+) item sections/.exec(r.stdout)?.[1]);
    assert.equal(sections, flagged, `one item page per flagged item: ${r.stdout}`);

    const pages = pdfPages(out).map((p) => p.replace(/\s+/g, ' '));
    const summary = pages.find((p) => p.includes('1 Summary'))!;
    assert.match(summary, new RegExp(`Files submitted \\(items\\) ${submitted}\\b`));
    const itemPages = pages.filter((p) => /\b3\.\d+ +\S+\.(jpg|png|jpeg|tif|webp)/i.test(p));
    assert.ok(itemPages.length > 0, 'the report has item pages');
    assert.ok(pages.some((p) => /Items examined/.test(p) && /flagged/i.test(p)), 'the items part says it holds the flagged items');
    assert.ok(
      itemPages.some((p) => /3\.\d+ +edited\.jpg/.test(p) && /Adobe Photoshop/.test(p)),
      'edited.jpg has its page, flagged for its editing-software tag',
    );
  });
});
