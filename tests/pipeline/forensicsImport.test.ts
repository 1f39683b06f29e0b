// The batch forensic analyses on import (issue 14): each imported image gets the summary of every
// batch analysis stored as a finding, the sample's examples are flagged by the analysis that
// catches them, the gallery filters by those flags, and verification catches a finding or its
// derived flag changed behind the application's back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { EvidenceFilter } from '../../src/contract/case';
import { BATCH_ANALYSES } from '../../src/main/analysis/batch';
import { importIntoCase } from '../../src/main/pipeline/importIntoCase';
import { findingsOf, openCaseDatabase, recordFindings, verifyCase, type CaseStore } from '../../src/main/store';
import { testCatalogue, testConfig } from '../config';

const repo = path.resolve(import.meta.dirname, '../..');

describe('forensic analyses on import', { timeout: 600_000 }, () => {
  let root = '';
  let caseDir = '';
  let store: CaseStore;
  const idOf = (name: string) => store.listEvidence({ text: name })[0]!.id;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-forensics-import-'));
    const sample = path.join(root, 'sample');
    const made = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-sample.ts', sample], { cwd: repo, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const noModels = path.join(root, 'no-models');
    fs.mkdirSync(noModels);
    caseDir = path.join(root, 'case');
    store = openCaseDatabase(caseDir, { actor: 'tester' });
    store.createCase({ name: 'forensics', number: '', examiner: 'T. Ester', organisation: '', description: '' });
    const config = testConfig({ modelsDir: noModels });
    const summary = await importIntoCase(store, {
      paths: [path.join(sample, 'forensics')],
      catalogue: testCatalogue({ modelsDir: noModels }),
      ingest: { maxPixels: config.maxPixels, maxFileBytes: config.maxFileBytes },
      workers: 1,
    });
    // README.txt is submitted too, and refused as not an image; every example is analysed.
    assert.deepEqual(summary.errors, { NOT_AN_IMAGE: 1 });
  });

  after(() => {
    store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('every image has a stored finding of each batch analysis, with version and parameters', () => {
    const items = store.listEvidence({}).filter((i) => !i.refused);
    assert.ok(items.length >= 10, `${items.length} items`);
    for (const item of items) {
      const findings = findingsOf(store, item.id);
      assert.deepEqual(findings.map((f) => f.analysis).sort(), [...BATCH_ANALYSES].sort(), item.fileName);
      for (const f of findings) {
        assert.match(f.version, new RegExp(`^${f.analysis}/\\d+$`));
        assert.equal(f.summary.analysis, f.analysis);
        assert.equal(typeof f.summary.reason, 'string');
        assert.ok(f.summary.reason.length > 10, `${item.fileName} ${f.analysis}: a reason an examiner can read`);
      }
    }
  });

  test('the sample examples are flagged by the analysis that catches them, and the gallery filters by it', () => {
    const flaggedBy = (analysis: EvidenceFilter['analysisFlag']) => store.listEvidence({ analysisFlag: analysis }).map((i) => i.fileName).sort();
    assert.ok(flaggedBy('thumbnail').includes('thumbnail-mismatch.jpg'), flaggedBy('thumbnail').join());
    assert.ok(flaggedBy('doubleJpeg').includes('double-jpeg-70-90.jpg'), flaggedBy('doubleJpeg').join());
    assert.ok(flaggedBy('noise').includes('noise-splice.jpg'), flaggedBy('noise').join());
    assert.ok(flaggedBy('quantTables').includes('mozjpeg-tables.jpg'), flaggedBy('quantTables').join());
    assert.ok(flaggedBy('generatorTraces').includes('stable-diffusion.png'), flaggedBy('generatorTraces').join());
    assert.ok(flaggedBy('metadataConsistency').includes('dates-out-of-order.jpg'), flaggedBy('metadataConsistency').join());
    // The crop is reported as an offset, and shown as a flag with that reason.
    const grid = findingsOf(store, idOf('cropped-3-5.png')).find((f) => f.analysis === 'grid')!.summary;
    assert.deepEqual((grid as { offset: unknown }).offset, { x: 3, y: 5 });
    // Each filter selects exactly the items whose stored finding is flagged; 'any' is their union.
    const any = flaggedBy('any');
    const union = new Set(BATCH_ANALYSES.flatMap((a) => flaggedBy(a)));
    assert.deepEqual(any, [...union].sort());
    assert.ok(any.length < store.listEvidence({}).length, 'not everything is flagged');
    assert.equal(store.countEvidence({ analysisFlag: 'thumbnail' }), flaggedBy('thumbnail').length);
  });

  test('a re-recorded identical summary writes nothing; a changed one replaces the finding with an audit entry', () => {
    const id = idOf('noise-splice.jpg');
    const before = findingsOf(store, id);
    const auditBefore = store.auditLog({}).length;
    recordFindings(store, id, before.map((f) => f.summary), new Date().toISOString());
    assert.equal(store.auditLog({}).length, auditBefore, 'unchanged summaries are not written again');
    const noise = before.find((f) => f.analysis === 'noise')!;
    recordFindings(store, id, [{ ...noise.summary, flagged: false, reason: 'Re-run with other parameters: no region stands out.' }], new Date().toISOString());
    const after = findingsOf(store, id).find((f) => f.analysis === 'noise')!;
    assert.equal(after.id, noise.id);
    assert.equal(after.summary.flagged, false);
    assert.ok(!store.listEvidence({ analysisFlag: 'noise' }).some((i) => i.id === id));
    assert.equal(store.auditLog({}).length, auditBefore + 1);
    assert.throws(() => recordFindings(store, id, [{ ...noise.summary, version: 'grid/1' }], 'x'), /version/);
  });

  test('verification catches a finding or its flag changed outside the application', async () => {
    assert.deepEqual((await verifyCase(store)).recordProblems, []);
    const id = idOf('thumbnail-mismatch.jpg');
    const finding = findingsOf(store, id).find((f) => f.analysis === 'thumbnail')!;
    store.close();
    const db = new Database(path.join(caseDir, 'case.sqlite'));
    db.prepare('UPDATE analysis_findings SET flagged = 0 WHERE id = ?').run(finding.id);
    db.close();
    store = openCaseDatabase(caseDir, { actor: 'tester' });
    let problems = (await verifyCase(store)).recordProblems;
    assert.ok(problems.some((p) => p.entity === 'finding' && p.entityId === String(finding.id) && p.kind === 'derived-mismatch'), JSON.stringify(problems));
    assert.ok(!store.listEvidence({ analysisFlag: 'thumbnail' }).some((i) => i.id === id), 'the tampered flag did hide it from the filter');

    store.close();
    const db2 = new Database(path.join(caseDir, 'case.sqlite'));
    db2.prepare("UPDATE analysis_findings SET flagged = 0, summary_json = json_set(summary_json, '$.flagged', json('false')) WHERE id = ?").run(finding.id);
    db2.close();
    store = openCaseDatabase(caseDir, { actor: 'tester' });
    problems = (await verifyCase(store)).recordProblems;
    assert.ok(problems.some((p) => p.entity === 'finding' && p.entityId === String(finding.id) && p.kind === 'digest-mismatch'), JSON.stringify(problems));
  });
});
