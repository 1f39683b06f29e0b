import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EvidenceItem } from '../../src/contract/case';
import type { CaseStore } from '../../src/main/store/caseStore';
import { StoreError } from '../../src/main/store/errors';
import { openCaseDatabase } from '../../src/main/store/open';
import {
  CASE_INPUT,
  RUN_PARAMETERS,
  errorRecord,
  fakeMetadata,
  metadataFor,
  okRecord,
  removeDir,
  score,
  sha256Of,
  tempDir,
  writeJpeg,
} from './helpers';

const dirs: string[] = [];
function caseDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
after(() => dirs.forEach(removeDir));

function count(store: CaseStore, table: string): number {
  return store.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
}

function isStoreError(code: StoreError['code']) {
  return (err: unknown) => err instanceof StoreError && err.code === code;
}

describe('case', () => {
  it('is created once per folder, updated with an audit entry naming what changed', () => {
    const store = openCaseDatabase(caseDir(), { actor: 'examiner-1' });
    try {
      assert.equal(store.getCase(), null);
      assert.throws(() => store.addEvidence(fakeMetadata('/x.jpg', sha256Of('x'))), isStoreError('NO_CASE'));
      const c = store.createCase(CASE_INPUT);
      assert.match(c.id, /^[0-9a-f-]{36}$/);
      assert.equal(c.name, CASE_INPUT.name);
      assert.throws(() => store.createCase(CASE_INPUT), isStoreError('CONFLICT'));
      assert.throws(() => store.updateCase({ name: '  ' }), isStoreError('INVALID'));

      const updated = store.updateCase({ description: 'New description', examiner: CASE_INPUT.examiner });
      assert.equal(updated.description, 'New description');
      const entries = store.auditLog({ entity: 'case' });
      assert.deepEqual(entries.map((e) => e.action), ['case.create', 'case.update']);
      assert.deepEqual((entries[1]!.details as { changed: unknown }).changed, {
        description: { from: CASE_INPUT.description, to: 'New description' },
      });
      assert.equal(entries[1]!.actor, 'examiner-1');
      // An update that changes nothing writes nothing.
      store.updateCase({ description: 'New description' });
      assert.equal(store.auditLog({ entity: 'case' }).length, 2);
    } finally {
      store.close();
    }
  });
});

describe('evidence and results', () => {
  let dir: string;
  let store: CaseStore;
  before(() => {
    dir = caseDir();
    store = openCaseDatabase(dir);
    store.createCase(CASE_INPUT);
  });
  after(() => store.close());

  it('addEvidence is idempotent on sha256 + path and keeps the metadata', async () => {
    const file = await writeJpeg(dir, 'photo.jpg', 1);
    const meta = await metadataFor(file);
    const first = store.addEvidence(meta);
    const again = store.addEvidence(meta);
    assert.equal(again.id, first.id);
    assert.equal(count(store, 'evidence'), 1);
    assert.equal(store.auditLog({ entity: 'evidence' }).length, 1);
    assert.deepEqual(first.metadata, meta);
    assert.equal(first.width, 16);
    assert.equal(first.sizeBytes, meta.sizeBytes);
    assert.equal(first.latestResult, null);
    assert.equal(first.review, null);
    assert.deepEqual(store.findEvidence(meta.sha256, meta.path)?.id, first.id);

    // The same bytes elsewhere are a separate item (a copy is itself a finding).
    const copy = store.addEvidence({ ...meta, path: `${dir}/copy.jpg`, fileName: 'copy.jpg' });
    assert.notEqual(copy.id, first.id);
    assert.equal(count(store, 'evidence'), 2);
    assert.throws(() => store.addEvidence({ ...meta, sha256: 'ABC' }), isStoreError('INVALID'));
  });

  it('recordResult upserts on (run, evidence): recording twice leaves one row', async () => {
    const meta = await metadataFor(await writeJpeg(dir, 'twice.jpg', 2));
    const item = store.addEvidence(meta);
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    assert.equal(run.status, 'running');
    assert.deepEqual(run.parameters, RUN_PARAMETERS);

    const first = store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.2)]));
    const auditBefore = store.auditLog({ entity: 'result' }).length;
    const same = store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.2)]));
    assert.equal(same.id, first.id);
    assert.equal(store.auditLog({ entity: 'result' }).length, auditBefore, 'an identical record writes no audit entry');

    const replaced = store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.9), score('gen-b', 0.4)]));
    assert.equal(replaced.id, first.id);
    assert.equal(replaced.maxScore, 0.9);
    assert.equal(store.db.prepare('SELECT COUNT(*) FROM results WHERE run_id = ? AND evidence_id = ?').pluck().get(run.id, item.id), 1);
    assert.equal(store.db.prepare('SELECT COUNT(*) FROM result_scores WHERE result_id = ?').pluck().get(first.id), 2);
    const last = store.auditLog({ entity: 'result', entityId: first.id }).at(-1)!;
    assert.equal((last.details as { replaced: boolean }).replaced, true);
    assert.deepEqual(store.resultsFor(item.id).map((r) => r.id), [first.id]);
    store.finishRun(run.id, 'completed');
  });

  it('refuses results for a finished run or for a file whose hash changed since import', async () => {
    const meta = await metadataFor(await writeJpeg(dir, 'guarded.jpg', 3));
    const item = store.addEvidence(meta);
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    assert.throws(() => store.recordResult(run.id, item.id, { ...okRecord(meta, []), sha256: sha256Of('other bytes') }), isStoreError('CONFLICT'));
    assert.throws(() => store.recordResult(run.id, 99999, okRecord(meta, [])), isStoreError('NOT_FOUND'));
    assert.throws(() => store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', Number.NaN)])), isStoreError('INVALID'));
    store.finishRun(run.id, 'completed');
    assert.throws(() => store.recordResult(run.id, item.id, okRecord(meta, [])), isStoreError('CONFLICT'));
    assert.throws(() => store.finishRun(run.id, 'failed'), isStoreError('CONFLICT'));
    assert.equal(store.db.prepare('SELECT COUNT(*) FROM results WHERE run_id = ?').pluck().get(run.id), 0);
  });

  it('resume: the interrupted run is offered, finished items are skipped, cancelled files retried', async () => {
    const metas = await Promise.all([10, 11, 12].map(async (seed) => metadataFor(await writeJpeg(dir, `resume-${seed}.jpg`, seed))));
    const items = metas.map((m) => store.addEvidence(m));
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    store.recordResult(run.id, items[0]!.id, okRecord(metas[0]!, [score('gen-a', 0.1)]));
    store.recordResult(run.id, items[1]!.id, errorRecord(metas[1]!, 'CORRUPT'));
    store.recordResult(run.id, items[2]!.id, errorRecord(metas[2]!, 'CANCELLED'));

    assert.equal(store.resumableRun()?.id, run.id, 'a run left running (app killed) is resumable');
    assert.deepEqual(store.finishedEvidenceIds(run.id), [items[0]!.id, items[1]!.id]);

    store.finishRun(run.id, 'cancelled');
    assert.equal(store.resumableRun()?.id, run.id, 'a cancelled run is resumable');
    assert.throws(() => store.recordResult(run.id, items[2]!.id, okRecord(metas[2]!, [])), isStoreError('CONFLICT'));
    const resumed = store.resumeRun(run.id);
    assert.equal(resumed.status, 'running');
    assert.equal(resumed.finishedAt, null);
    store.recordResult(run.id, items[2]!.id, okRecord(metas[2]!, [score('gen-a', 0.3)]));
    assert.deepEqual(store.finishedEvidenceIds(run.id), items.map((i) => i.id));
    assert.equal(store.db.prepare('SELECT COUNT(*) FROM results WHERE run_id = ?').pluck().get(run.id), 3);

    const finished = store.finishRun(run.id, 'completed');
    assert.ok(finished.finishedAt);
    assert.equal(store.resumableRun(), null);
    assert.throws(() => store.resumeRun(run.id), isStoreError('CONFLICT'));
    assert.deepEqual(
      store.auditLog({ entity: 'run', entityId: run.id }).map((e) => e.action),
      ['run.start', 'run.finish', 'run.resume', 'run.finish'],
    );
  });
});

describe('listEvidence', () => {
  let store: CaseStore;
  const ids: Record<string, number> = {};
  before(() => {
    store = openCaseDatabase(caseDir());
    store.createCase(CASE_INPUT);
    const metas = Object.fromEntries(
      ['delta.jpg', 'Alpha.jpg', 'charlie.jpg', 'bravo.jpg', 'echo_1.jpg', 'foxtrot.jpg'].map((n) => [n, fakeMetadata(`/ev/${n}`, sha256Of(n))]),
    );
    for (const [name, meta] of Object.entries(metas)) ids[name] = store.addEvidence(meta).id;

    const run1 = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    const t1 = '2025-01-01T00:00:00.000Z';
    const t2 = '2025-02-01T00:00:00.000Z';
    // delta: high in run 1 but lower in the later run 2: the later result is the one that counts.
    store.recordResult(run1.id, ids['delta.jpg']!, okRecord(metas['delta.jpg']!, [score('gen-a', 0.99)], t1));
    store.recordResult(run1.id, ids['Alpha.jpg']!, okRecord(metas['Alpha.jpg']!, [score('gen-a', 0.1), score('gen-b', 0.8)], t1));
    store.recordResult(run1.id, ids['charlie.jpg']!, okRecord(metas['charlie.jpg']!, [score('gen-a', 0.6)], t1));
    store.recordResult(run1.id, ids['bravo.jpg']!, errorRecord(metas['bravo.jpg']!));
    store.recordResult(run1.id, ids['echo_1.jpg']!, okRecord(metas['echo_1.jpg']!, [score('gen-b', 0.3)], t1));
    store.finishRun(run1.id, 'completed');
    const run2 = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.1' });
    store.recordResult(run2.id, ids['delta.jpg']!, okRecord(metas['delta.jpg']!, [score('gen-a', 0.5), score('gen-b', 0.45)], t2));
    store.finishRun(run2.id, 'completed');
    // foxtrot never analysed.

    store.setReview(ids['Alpha.jpg']!, { verdict: 'generated', flagged: true, reviewer: 'r1' });
    store.setReview(ids['charlie.jpg']!, { verdict: 'authentic', reviewer: 'r1' });
    store.setReview(ids['charlie.jpg']!, { verdict: 'manipulated', reviewer: 'r2' }); // current verdict wins
    store.setReview(ids['echo_1.jpg']!, { notes: 'look again', reviewer: 'r1' }); // no verdict yet
  });
  after(() => store.close());

  const names = (items: EvidenceItem[]) => items.map((i) => i.fileName);

  it('joins each item with its latest result and current review', () => {
    const delta = store.getEvidence(ids['delta.jpg']!)!;
    assert.equal(delta.latestResult?.analysedAt, '2025-02-01T00:00:00.000Z');
    assert.equal(delta.score, 0.5);
    assert.equal(store.getEvidence(ids['charlie.jpg']!)!.review?.verdict, 'manipulated');
    assert.equal(store.getEvidence(ids['foxtrot.jpg']!)!.latestResult, null);
    assert.equal(store.getEvidence(424242), null);
  });

  it('sorts by name (case-insensitive), import time and score (latest result max, unscored last)', () => {
    assert.deepEqual(names(store.listEvidence({ sort: 'name' })), ['Alpha.jpg', 'bravo.jpg', 'charlie.jpg', 'delta.jpg', 'echo_1.jpg', 'foxtrot.jpg']);
    assert.deepEqual(names(store.listEvidence({ sort: 'name', descending: true })).at(0), 'foxtrot.jpg');
    assert.deepEqual(names(store.listEvidence({ sort: 'time' })), ['delta.jpg', 'Alpha.jpg', 'charlie.jpg', 'bravo.jpg', 'echo_1.jpg', 'foxtrot.jpg']);
    const byScore = store.listEvidence({ sort: 'score' });
    assert.deepEqual(names(byScore), ['Alpha.jpg', 'charlie.jpg', 'delta.jpg', 'echo_1.jpg', 'bravo.jpg', 'foxtrot.jpg']);
    assert.deepEqual(byScore.map((i) => i.score), [0.8, 0.6, 0.5, 0.3, null, null]);
    assert.deepEqual(names(store.listEvidence({ sort: 'score', descending: true })), ['echo_1.jpg', 'delta.jpg', 'charlie.jpg', 'Alpha.jpg', 'bravo.jpg', 'foxtrot.jpg']);
  });

  it('filters by score range, per model, verdict, flag, error and analysis state', () => {
    assert.deepEqual(names(store.listEvidence({ sort: 'score', scoreMin: 0.5 })), ['Alpha.jpg', 'charlie.jpg', 'delta.jpg']);
    assert.deepEqual(names(store.listEvidence({ sort: 'score', scoreMin: 0.3, scoreMax: 0.6 })), ['charlie.jpg', 'delta.jpg', 'echo_1.jpg']);
    // Per model: gen-a's own score, items without a gen-a score left out.
    const genA = store.listEvidence({ sort: 'score', modelId: 'gen-a' });
    assert.deepEqual(names(genA), ['charlie.jpg', 'delta.jpg', 'Alpha.jpg']);
    assert.deepEqual(genA.map((i) => i.score), [0.6, 0.5, 0.1]);
    assert.deepEqual(names(store.listEvidence({ modelId: 'gen-a', scoreMax: 0.2 })), ['Alpha.jpg']);
    assert.deepEqual(names(store.listEvidence({ modelId: 'no-such-model' })), []);

    assert.deepEqual(names(store.listEvidence({ verdict: 'manipulated' })), ['charlie.jpg']);
    assert.deepEqual(names(store.listEvidence({ verdict: 'authentic' })), [], 'a superseded verdict does not match');
    assert.deepEqual(names(store.listEvidence({ verdict: 'unreviewed', sort: 'name' })), ['bravo.jpg', 'delta.jpg', 'echo_1.jpg', 'foxtrot.jpg']);
    assert.deepEqual(names(store.listEvidence({ flagged: true })), ['Alpha.jpg']);
    assert.equal(store.listEvidence({ flagged: false }).length, 5);
    assert.deepEqual(names(store.listEvidence({ hasError: true })), ['bravo.jpg']);
    assert.equal(store.listEvidence({ hasError: false }).length, 5);
    assert.deepEqual(names(store.listEvidence({ analysed: false })), ['foxtrot.jpg']);
    assert.deepEqual(names(store.listEvidence({ text: 'HO_' })), ['echo_1.jpg'], 'LIKE wildcards in the text are literal');
    assert.deepEqual(names(store.listEvidence({ verdict: 'generated', flagged: true, scoreMin: 0.7 })), ['Alpha.jpg']);
    assert.throws(() => store.listEvidence({ verdict: 'fake' as never }), isStoreError('INVALID'));
    assert.throws(() => store.listEvidence({ limit: -1 }), isStoreError('INVALID'));
  });

  it('pages with limit/offset and counts with the same filter', () => {
    assert.deepEqual(names(store.listEvidence({ sort: 'name', limit: 2, offset: 2 })), ['charlie.jpg', 'delta.jpg']);
    assert.equal(store.countEvidence(), 6);
    assert.equal(store.countEvidence({ scoreMin: 0.5, limit: 1 }), 3);
    assert.equal(store.countEvidence({ verdict: 'unreviewed' }), 4);
    assert.equal(store.countEvidence({ modelId: 'gen-b' }), 3);
  });
});
