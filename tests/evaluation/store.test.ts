// Evaluations, splits and retraining flags saved in a real case database.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EvaluationResult, LabelledItem } from '../../src/contract/evaluation';
import { loadLabelledSet } from '../../src/main/evaluation/dataset';
import { evaluate } from '../../src/main/evaluation/evaluate';
import { groupAwareSplit, type GroupSplit } from '../../src/main/evaluation/split';
import { testCatalogue } from '../config';
import { openCaseDatabase, verifyCase, type CaseStore } from '../../src/main/store';
import { canonicalJson } from '../../src/main/store/canonicalJson';
import {
  getEvaluation,
  getSplit,
  listEvaluations,
  listRetrainingFlags,
  listSplits,
  saveEvaluation,
  saveSplit,
  setRetrainingFlag,
} from '../../src/main/store/evaluations';
import { migrate, schemaVersion, SCHEMA_VERSION } from '../../src/main/store/migrations';
import { makeCnnDetectionSet, removeDir, tempDir } from './datasets';

const CASE = { name: 'Detector validation', number: 'PL-7', examiner: 'A. Examiner', organisation: 'Lab', description: '' };

let work: string;
let result: EvaluationResult;
let split: GroupSplit<LabelledItem>;

before(async () => {
  work = tempDir('pl-eval-store-');
  const root = await makeCnnDetectionSet(path.join(work, 'data'), { generators: ['gan'], perClass: 4, tiny: true });
  const set = await loadLabelledSet(root);
  split = groupAwareSplit(set.items, { valRatio: 0.5, seed: 2, datasetRoot: root });
  const { detectors } = await testCatalogue({ provider: 'cpu' }).openDetectors({ ids: ['fixture-texture-cnn'] });
  try {
    result = await evaluate({ ...set, items: split.val }, detectors, { bootstrap: 0, selection: { split: split.summary } });
  } finally {
    await Promise.all(detectors.map((d) => d.close()));
  }
});
after(() => removeDir(work));

let caseCount = 0;
function newCase(): CaseStore {
  const store = openCaseDatabase(path.join(work, `case-${++caseCount}`), { actor: 'tester' });
  store.createCase(CASE);
  return store;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('evaluations in the case database', () => {
  it('saves a split and an evaluation with audit entries carrying their digests, and reads them back', () => {
    const store = newCase();
    try {
      const storedSplit = saveSplit(store, split.record);
      assert.deepEqual(storedSplit.split, split.record);
      assert.deepEqual(getSplit(store, storedSplit.id), storedSplit);
      assert.deepEqual(listSplits(store), [storedSplit]);

      const entry = saveEvaluation(store, result, { splitId: storedSplit.id });
      assert.deepEqual(entry, {
        id: result.id,
        createdAt: result.createdAt,
        datasetRoot: result.dataset.root,
        layout: 'cnndetection',
        splitId: storedSplit.id,
        items: result.items.length,
        threshold: 0.5,
        models: [{ id: 'fixture-texture-cnn', version: '1.0.0', accuracy: result.perModel[0].metrics!.accuracy, ap: result.perModel[0].metrics!.ap }],
      });
      assert.deepEqual(listEvaluations(store), [entry]);
      assert.deepEqual(getEvaluation(store, result.id), result);
      assert.equal(getEvaluation(store, 'no-such-id'), null);

      const [splitAudit] = store.auditLog({ entity: 'split' });
      assert.equal(splitAudit.action, 'split.save');
      assert.equal((splitAudit.details as { digest: string }).digest, sha256(canonicalJson(split.record)));
      const [evalAudit] = store.auditLog({ entity: 'evaluation' });
      assert.equal(evalAudit.action, 'evaluation.save');
      assert.equal(evalAudit.entityId, result.id);
      assert.equal(evalAudit.actor, 'tester');
      const details = evalAudit.details as { digest: string; splitId: number; items: number };
      assert.equal(details.digest, sha256(canonicalJson(result)));
      assert.equal(details.splitId, storedSplit.id);
      // The stored JSON is exactly what the digest covers.
      const stored = store.db.prepare('SELECT result_json FROM evaluations WHERE id = ?').pluck().get(result.id) as string;
      assert.equal(sha256(stored), details.digest);
    } finally {
      store.close();
    }
  });

  it('refuses a second save of the same evaluation, an unknown split and edits behind its back', () => {
    const store = newCase();
    try {
      saveEvaluation(store, result);
      assert.throws(() => saveEvaluation(store, result), (e: unknown) => (e as { code?: string }).code === 'CONFLICT');
      assert.throws(() => saveEvaluation(store, { ...result, id: 'other' }, { splitId: 999 }), /no saved split with id 999/);
      assert.throws(() => store.db.prepare("UPDATE evaluations SET threshold = 0.9").run(), /append-only/);
      assert.throws(() => store.db.prepare('DELETE FROM evaluations').run(), /append-only/);
      assert.throws(() => saveEvaluation(store, { version: 2 } as unknown as EvaluationResult), /not an evaluation result/);
      // A failed save leaves no row and no audit entry behind.
      assert.equal(listEvaluations(store).length, 1);
      assert.equal(store.auditLog({ entity: 'evaluation' }).length, 1);
    } finally {
      store.close();
    }
  });

  it('needs a case first', () => {
    const store = openCaseDatabase(path.join(work, 'no-case'), { actor: 'tester' });
    try {
      assert.throws(() => saveEvaluation(store, result), (e: unknown) => (e as { code?: string }).code === 'NO_CASE');
    } finally {
      store.close();
    }
  });

  it('flags and unflags images for retraining; the latest row per image counts', () => {
    const store = newCase();
    try {
      saveEvaluation(store, result);
      const [a, b] = result.items;
      setRetrainingFlag(store, { path: a.path, sha256: a.sha256, label: a.label, evaluationId: result.id, flagged: true, note: 'confident mistake', actor: 'R. Reviewer' });
      setRetrainingFlag(store, { path: b.path, sha256: b.sha256, label: b.label, flagged: true, actor: 'R. Reviewer' });
      assert.deepEqual(listRetrainingFlags(store).map((f) => [f.path, f.flagged, f.evaluationId, f.note]), [
        [a.path, true, result.id, 'confident mistake'],
        [b.path, true, null, ''],
      ]);
      setRetrainingFlag(store, { path: a.path, sha256: a.sha256, label: a.label, flagged: false, actor: 'R. Reviewer' });
      assert.deepEqual(listRetrainingFlags(store).map((f) => f.path), [b.path]);
      const audit = store.auditLog({ entity: 'retraining_flag' });
      assert.deepEqual(audit.map((e) => [e.action, e.actor]), [
        ['retraining.flag', 'R. Reviewer'],
        ['retraining.flag', 'R. Reviewer'],
        ['retraining.unflag', 'R. Reviewer'],
      ]);
      assert.throws(() => setRetrainingFlag(store, { path: a.path, label: 0, flagged: true, actor: ' ' }), /examiner's name/);
      assert.throws(() => setRetrainingFlag(store, { path: a.path, label: 0, flagged: true, actor: 'x', evaluationId: 'nope' }), /no saved evaluation nope/);
    } finally {
      store.close();
    }
  });

  it('keeps the case verifiable', async () => {
    const store = newCase();
    try {
      saveEvaluation(store, result);
      saveSplit(store, split.record);
      const report = await verifyCase(store, { rehashFiles: false });
      assert.equal(report.ok, true, JSON.stringify(report.chainProblems.concat(report.recordProblems as never[])));
    } finally {
      store.close();
    }
  });

  it('verify catches splits, evaluations and retraining flags changed behind the store, listed columns included', async () => {
    const store = newCase();
    try {
      const storedSplit = saveSplit(store, split.record);
      saveEvaluation(store, result, { splitId: storedSplit.id });
      const [a] = result.items;
      const flag = setRetrainingFlag(store, { path: a.path, sha256: a.sha256, label: a.label, evaluationId: result.id, flagged: true, actor: 'R. Reviewer' });
      // A flag as releases before this one recorded it: an audit entry without a digest.
      store.transaction(() => {
        store.db.prepare("INSERT INTO retraining_flags (case_id, path, sha256, label, flagged, note, actor, at) VALUES (?, '/legacy.jpg', NULL, 0, 1, '', 'old', '2025-01-01T00:00:00.000Z')").run(store.getCase()!.id);
        const id = store.db.prepare('SELECT MAX(id) FROM retraining_flags').pluck().get() as number;
        store.audit({ action: 'retraining.flag', entity: 'retraining_flag', entityId: id, actor: 'old', details: { path: '/legacy.jpg', sha256: null, label: 0, evaluationId: null } });
      });
      const clean = await verifyCase(store, { rehashFiles: false });
      assert.deepEqual(clean.recordProblems, []);

      store.db.exec('DROP TRIGGER evaluations_no_update; DROP TRIGGER dataset_splits_no_update; DROP TRIGGER retraining_flags_no_update');
      // The columns the evaluation list and the split picker show, changed without touching the JSON the digest covers.
      store.db.prepare('UPDATE evaluations SET threshold = 0.9, items = 1').run();
      store.db.prepare('UPDATE dataset_splits SET seed = 99').run();
      store.db.prepare('UPDATE retraining_flags SET label = 1 - label WHERE id = ?').run(flag.id);
      store.db.prepare("UPDATE retraining_flags SET actor = 'mallory' WHERE path = '/legacy.jpg'").run();
      let report = await verifyCase(store, { rehashFiles: false });
      assert.deepEqual(
        report.recordProblems.map((p) => [p.entity, p.kind]),
        [
          ['retraining_flag', 'digest-mismatch'],
          ['retraining_flag', 'digest-mismatch'],
          ['split', 'derived-mismatch'],
          ['evaluation', 'derived-mismatch'],
        ],
      );
      assert.match(report.recordProblems[3].message, /items, threshold/);

      // The JSON itself, with its columns changed to match: the recorded digest no longer does.
      const forged = { ...result, threshold: 0.9 };
      store.db.prepare('UPDATE evaluations SET result_json = ?, items = ?').run(canonicalJson(forged), result.items.length);
      report = await verifyCase(store, { rehashFiles: false });
      assert.deepEqual(report.recordProblems.filter((p) => p.entity === 'evaluation').map((p) => p.kind), ['digest-mismatch']);
      assert.equal(report.status, 'failed');
    } finally {
      store.close();
    }
  });

  it('upgrades a version 2 case database in place', () => {
    const dir = path.join(work, 'old-case');
    // A database as the previous release wrote it (version 2), then opened by this one.
    fs.mkdirSync(dir, { recursive: true }); // better-sqlite3 does not create folders
    const raw = new Database(path.join(dir, 'case.sqlite'));
    migrate(raw, { target: 2, actor: 'old-release', now: () => '2025-01-01T00:00:00.000Z' });
    assert.equal(schemaVersion(raw), 2);
    raw.close();
    const store = openCaseDatabase(dir, { actor: 'tester' });
    try {
      assert.ok(SCHEMA_VERSION >= 3);
      assert.equal(schemaVersion(store.db), SCHEMA_VERSION);
      store.createCase(CASE);
      saveEvaluation(store, result);
      assert.equal(listEvaluations(store).length, 1);
      const migrations = store.auditLog({ entity: 'schema' }).map((e) => [e.entityId, e.actor]);
      assert.deepEqual(migrations.slice(0, 3), [['1', 'old-release'], ['2', 'old-release'], ['3', 'tester']]);
    } finally {
      store.close();
    }
  });
});
