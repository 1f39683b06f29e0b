import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appendAudit, auditHash, GENESIS_HASH } from '../../src/main/store/audit';
import { canonicalJson } from '../../src/main/store/canonicalJson';
import type { CaseStore } from '../../src/main/store/caseStore';
import { StoreError } from '../../src/main/store/errors';
import { openCaseDatabase } from '../../src/main/store/open';
import { CASE_INPUT, RUN_PARAMETERS, fakeMetadata, okRecord, removeDir, score, sha256Of, tempDir } from './helpers';

const dirs: string[] = [];
function openStore(actor = 'examiner'): CaseStore {
  const d = tempDir();
  dirs.push(d);
  const store = openCaseDatabase(d, { actor });
  store.createCase(CASE_INPUT);
  return store;
}
after(() => dirs.forEach(removeDir));

const count = (store: CaseStore, table: string) => store.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined, so equal values give equal bytes', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: 'é' }], c: null } }), '{"a":{"c":null,"d":[3,{"x":"é","z":1}]},"b":1}');
    assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
    assert.throws(() => canonicalJson({ n: 1n }), TypeError);
  });
});

describe('reviews', () => {
  let store: CaseStore;
  let evidenceId: number;
  before(() => {
    store = openStore();
    evidenceId = store.addEvidence(fakeMetadata('/ev/a.jpg', sha256Of('a'))).id;
  });
  after(() => store.close());

  it('appends history: left-out fields carry over, the latest row is the current review', () => {
    store.setReview(evidenceId, { verdict: 'inconclusive', notes: 'needs the original', reviewer: 'Ana' });
    store.setReview(evidenceId, { flagged: true, reviewer: 'Ana' });
    const current = store.setReview(evidenceId, { verdict: 'generated', reviewer: 'Ben' });
    assert.deepEqual(
      { verdict: current.verdict, notes: current.notes, flagged: current.flagged, reviewer: current.reviewer },
      { verdict: 'generated', notes: 'needs the original', flagged: true, reviewer: 'Ben' },
    );
    const history = store.reviewHistory(evidenceId);
    assert.deepEqual(
      history.map((r) => [r.verdict, r.flagged, r.reviewer]),
      [
        ['inconclusive', false, 'Ana'],
        ['inconclusive', true, 'Ana'],
        ['generated', true, 'Ben'],
      ],
    );
    assert.equal(store.currentReview(evidenceId)?.id, history.at(-1)!.id);
    // Identical review by the same reviewer: nothing written. Same conclusion by someone else: recorded.
    store.setReview(evidenceId, { verdict: 'generated', reviewer: 'Ben' });
    assert.equal(store.reviewHistory(evidenceId).length, 3);
    store.setReview(evidenceId, { verdict: 'generated', reviewer: 'Cleo' });
    assert.equal(store.reviewHistory(evidenceId).length, 4);

    const entries = store.auditLog({ entity: 'review' });
    assert.equal(entries.length, 4);
    assert.deepEqual(entries.map((e) => e.actor), ['Ana', 'Ana', 'Ben', 'Cleo'], 'the reviewer is the audit actor');
    assert.deepEqual(entries.map((e) => e.entityId), store.reviewHistory(evidenceId).map((r) => String(r.id)));
    assert.equal((entries[2]!.details as { previousVerdict: string }).previousVerdict, 'inconclusive');
  });

  it('rejects bad input before writing anything', () => {
    const before = store.auditLog().length;
    assert.throws(() => store.setReview(evidenceId, { verdict: 'fake' as never, reviewer: 'Ana' }), (e: unknown) => e instanceof StoreError && e.code === 'INVALID');
    assert.throws(() => store.setReview(evidenceId, { verdict: 'authentic', reviewer: ' ' }), (e: unknown) => e instanceof StoreError && e.code === 'INVALID');
    assert.throws(() => store.setReview(9999, { verdict: 'authentic', reviewer: 'Ana' }), (e: unknown) => e instanceof StoreError && e.code === 'NOT_FOUND');
    assert.equal(store.auditLog().length, before);
  });

  it('review rows cannot be edited or deleted in SQL', () => {
    assert.throws(() => store.db.prepare("UPDATE reviews SET verdict = 'authentic'").run(), /append-only/);
    assert.throws(() => store.db.prepare('DELETE FROM reviews').run(), /append-only/);
  });
});

describe('audit entries share the transaction of their change', () => {
  it('every mutating call writes exactly one entry, chained to the one before', () => {
    const store = openStore('examiner-7');
    try {
      const start = store.auditLog().length;
      const meta = fakeMetadata('/ev/b.jpg', sha256Of('b'));
      const item = store.addEvidence(meta);
      const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
      store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.7)]));
      store.finishRun(run.id, 'completed');
      store.setReview(item.id, { verdict: 'authentic', reviewer: 'Ana' });
      store.audit({ action: 'report.export', entity: 'report', details: { file: 'report.pdf' } });
      const log = store.auditLog();
      assert.deepEqual(
        log.slice(start).map((e) => e.action),
        ['evidence.add', 'run.start', 'result.record', 'run.finish', 'review.set', 'report.export'],
      );
      assert.equal(log.at(-1)!.actor, 'examiner-7');
      assert.equal(log[0]!.prevHash, GENESIS_HASH);
      for (let i = 0; i < log.length; i++) {
        const e = log[i]!;
        assert.equal(e.seq, i + 1);
        if (i > 0) assert.equal(e.prevHash, log[i - 1]!.hash);
        assert.equal(e.hash, auditHash(e));
      }
      assert.deepEqual(store.auditLog({ afterSeq: log.length - 2 }).map((e) => e.action), ['review.set', 'report.export']);
    } finally {
      store.close();
    }
  });

  it('when the audit write fails, the change it describes is rolled back', () => {
    const store = openStore();
    try {
      const meta = fakeMetadata('/ev/c.jpg', sha256Of('c'));
      const item = store.addEvidence(meta);
      const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
      const entries = store.auditLog().length;
      // Make the audit table refuse inserts, as a full disk or a fault would.
      store.db.exec("CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit write failed'); END");

      assert.throws(() => store.setReview(item.id, { verdict: 'manipulated', reviewer: 'Ana' }), /audit write failed/);
      assert.throws(() => store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.7)])), /audit write failed/);
      assert.throws(() => store.addEvidence(fakeMetadata('/ev/d.jpg', sha256Of('d'))), /audit write failed/);
      assert.throws(() => store.finishRun(run.id, 'completed'), /audit write failed/);
      assert.equal(count(store, 'reviews'), 0);
      assert.equal(count(store, 'results'), 0);
      assert.equal(count(store, 'result_scores'), 0);
      assert.equal(count(store, 'evidence'), 1);
      assert.equal(store.getRun(run.id)?.status, 'running');

      store.db.exec('DROP TRIGGER fail_audit');
      assert.equal(store.auditLog().length, entries);
      store.setReview(item.id, { verdict: 'manipulated', reviewer: 'Ana' });
      assert.equal(count(store, 'reviews'), 1);
    } finally {
      store.close();
    }
  });

  it('when the change fails half-way, no audit entry is left either', () => {
    const store = openStore();
    try {
      const meta = fakeMetadata('/ev/e.jpg', sha256Of('e'));
      const item = store.addEvidence(meta);
      const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
      const entries = store.auditLog().length;
      // The results row goes in, then the per-model score insert fails.
      store.db.exec("CREATE TRIGGER fail_scores BEFORE INSERT ON result_scores BEGIN SELECT RAISE(ABORT, 'score write failed'); END");
      assert.throws(() => store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.7)])), /score write failed/);
      assert.equal(count(store, 'results'), 0);
      assert.equal(store.auditLog().length, entries);
    } finally {
      store.close();
    }
  });

  it('a batch commits or rolls back as a whole, entries included', () => {
    const store = openStore();
    try {
      const entries = store.auditLog().length;
      assert.throws(() =>
        store.transaction(() => {
          store.addEvidence(fakeMetadata('/ev/f.jpg', sha256Of('f')));
          store.addEvidence(fakeMetadata('/ev/g.jpg', sha256Of('g')));
          throw new Error('import cancelled');
        }),
      );
      assert.equal(count(store, 'evidence'), 0);
      assert.equal(store.auditLog().length, entries);
      store.transaction(() => {
        store.addEvidence(fakeMetadata('/ev/f.jpg', sha256Of('f')));
        store.addEvidence(fakeMetadata('/ev/g.jpg', sha256Of('g')));
      });
      assert.equal(count(store, 'evidence'), 2);
      assert.equal(store.auditLog().length, entries + 2);
    } finally {
      store.close();
    }
  });

  it('appendAudit refuses to run outside a transaction', () => {
    const store = openStore();
    try {
      assert.throws(() => appendAudit(store.db, { at: 'x', actor: 'a', action: 'x.y', entity: 'x' }), /inside the transaction/);
    } finally {
      store.close();
    }
  });
});

describe('audit_log is append-only', () => {
  it('triggers abort UPDATE, DELETE and overwriting or out-of-order inserts', () => {
    const store = openStore();
    try {
      const entries = store.auditLog();
      assert.throws(() => store.db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1").run(), /append-only: UPDATE refused/);
      assert.throws(() => store.db.prepare('DELETE FROM audit_log WHERE seq = 1').run(), /append-only: DELETE refused/);
      assert.throws(
        () =>
          store.db
            .prepare("INSERT OR REPLACE INTO audit_log (seq, at, actor, action, entity, details_json, prev_hash, hash) VALUES (1, 'x', 'm', 'a', 'e', '{}', 'p', 'h')")
            .run(),
        /seq must be the next number/,
      );
      assert.throws(
        () =>
          store.db
            .prepare("INSERT INTO audit_log (seq, at, actor, action, entity, details_json, prev_hash, hash) VALUES (?, 'x', 'm', 'a', 'e', '{}', 'p', 'h')")
            .run(entries.length + 5),
        /seq must be the next number/,
      );
      assert.deepEqual(store.auditLog(), entries);
    } finally {
      store.close();
    }
  });
});
