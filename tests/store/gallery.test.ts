// Gallery pages: keyset paging over evidence_state must give exactly the order a straightforward
// sort of the items gives, walking forwards, backwards, from the end or from an offset; the
// derived state must follow every change and be checkable against its derivation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EvidenceFilter, GalleryItem } from '../../src/contract/case';
import type { ModelScore } from '../../src/contract/evidence';
import type { CaseStore } from '../../src/main/store/caseStore';
import { evidenceStateProblems, rebuildEvidenceState } from '../../src/main/store/evidenceState';
import { openCaseDatabase } from '../../src/main/store/open';
import { CASE_INPUT, RUN_PARAMETERS, errorRecord, fakeMetadata, okRecord, removeDir, score, sha256Of, tempDir } from './helpers';

const N = 600;
const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

function scored(modelId: string, task: 'generated' | 'manipulated' | 'face', value: number): ModelScore {
  return { ...score(modelId, value), task: task as ModelScore['task'], threshold: task === 'face' ? 0.7 : 0.5 };
}

/** What the test wrote, item by item: the reference every order is computed from. */
interface Truth {
  id: number;
  name: string;
  scores: ModelScore[] | null;
  error: boolean;
  verdict: string | null;
  flagged: boolean;
}

describe('gallery pages', () => {
  let store: CaseStore;
  const truth: Truth[] = [];
  const t0 = (id: number): Truth => truth.find((x) => x.id === id)!;

  before(() => {
    const dir = tempDir();
    dirs.push(dir);
    store = openCaseDatabase(dir);
    store.createCase(CASE_INPUT);
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    store.transaction(() => {
      for (let i = 0; i < N; i++) {
        // Names out of import order and in mixed case; scores with many ties (two decimals).
        const name = `${i % 3 === 0 ? 'IMG' : 'img'}-${String((i * 7919) % N).padStart(4, '0')}.jpg`;
        const meta = fakeMetadata(`/gallery/${i}/${name}`, sha256Of(`gallery ${i}`));
        const item = store.addEvidence(meta);
        const t: Truth = { id: item.id, name, scores: null, error: false, verdict: null, flagged: false };
        if (i % 11 === 0) {
          // never analysed
        } else if (i % 13 === 0) {
          store.recordResult(run.id, item.id, errorRecord(meta));
          t.error = true;
          t.scores = [];
        } else {
          const s: ModelScore[] = [scored('gen-a', 'generated', Math.round(((i * 37) % 100) / 2) / 50)];
          if (i % 2 === 0) s.push(scored('man-b', 'manipulated', Math.round(((i * 53) % 100) / 4) / 25));
          if (i % 5 === 0) s.push(scored('face-c', 'face', ((i * 17) % 10) / 10));
          store.recordResult(run.id, item.id, okRecord(meta, s));
          t.scores = s;
        }
        if (i % 4 === 1) {
          store.setReview(item.id, { verdict: i % 8 === 1 ? 'generated' : 'authentic', flagged: i % 3 === 1, reviewer: 'r1' });
          t.verdict = i % 8 === 1 ? 'generated' : 'authentic';
          t.flagged = i % 3 === 1;
        }
        truth.push(t);
      }
    });
    store.finishRun(run.id, 'completed');
  });
  after(() => store.close());

  const scoreOf = (t: Truth, f: EvidenceFilter): number | null => {
    if (!t.scores || t.scores.length === 0) return null;
    const pool = f.modelId ? t.scores.filter((s) => s.modelId === f.modelId) : f.scoreTask ? t.scores.filter((s) => s.task === f.scoreTask) : t.scores;
    return pool.length ? Math.max(...pool.map((s) => s.score)) : null;
  };

  /** The order a plain sort of the reference data gives (the contract's rules, written out). */
  function expected(f: EvidenceFilter): number[] {
    let rows = truth.map((t) => ({ t, score: scoreOf(t, f) }));
    if (f.modelId) rows = rows.filter((r) => r.score !== null);
    if (f.verdict) rows = rows.filter((r) => (f.verdict === 'unreviewed' ? r.t.verdict === null : r.t.verdict === f.verdict));
    if (f.flagged !== undefined) rows = rows.filter((r) => r.t.flagged === f.flagged);
    if (f.hasError !== undefined) rows = rows.filter((r) => r.t.error === f.hasError);
    if (f.scoreMin !== undefined) rows = rows.filter((r) => r.score !== null && r.score >= f.scoreMin!);
    if (f.text) rows = rows.filter((r) => r.t.name.toLowerCase().includes(f.text!.toLowerCase()));
    const desc = f.descending === true;
    const byId = (a: { t: Truth }, b: { t: Truth }) => a.t.id - b.t.id;
    rows.sort((a, b) => {
      if (f.sort === 'name') {
        const c = a.t.name.toLowerCase() < b.t.name.toLowerCase() ? -1 : a.t.name.toLowerCase() > b.t.name.toLowerCase() ? 1 : byId(a, b);
        return desc ? -c : c;
      }
      if (f.sort === 'score') {
        if (a.score === null || b.score === null) return a.score === null && b.score === null ? byId(a, b) : a.score === null ? 1 : -1;
        if (a.score !== b.score) return desc ? a.score - b.score : b.score - a.score;
        return desc ? -byId(a, b) : byId(a, b);
      }
      return desc ? -byId(a, b) : byId(a, b);
    });
    return rows.map((r) => r.t.id);
  }

  const orders: EvidenceFilter[] = [
    { sort: 'time' },
    { sort: 'time', descending: true },
    { sort: 'name' },
    { sort: 'name', descending: true },
    { sort: 'score' },
    { sort: 'score', descending: true },
    { sort: 'score', scoreTask: 'manipulated' },
    { sort: 'score', scoreTask: 'face', descending: true },
    { sort: 'score', modelId: 'man-b' },
    { sort: 'name', modelId: 'face-c' },
    { sort: 'score', verdict: 'unreviewed', hasError: false },
    { sort: 'name', flagged: true, text: 'img-00' },
    { sort: 'score', scoreMin: 0.5, verdict: 'authentic' },
  ];

  it('walks every order page by page, forwards with `after` and backwards from the end with `before`', () => {
    for (const f of orders) {
      const want = expected(f);
      assert.ok(want.length > 5, `${JSON.stringify(f)} selects something`);
      const forward: number[] = [];
      let page = store.listGallery({ ...f, limit: 37 });
      assert.equal(page.total, want.length, `total for ${JSON.stringify(f)}`);
      for (let guard = 0; page.items.length > 0 && guard < 100; guard++) {
        forward.push(...page.items.map((i) => i.id));
        page = store.listGallery({ ...f, limit: 37, after: page.lastCursor! }, { withTotal: false });
        assert.equal(page.total, null);
      }
      assert.deepEqual(forward, want, `forward ${JSON.stringify(f)}`);

      const backward: number[] = [];
      page = store.listGallery({ ...f, limit: 41, fromEnd: true });
      assert.deepEqual(page.items.map((i) => i.id), want.slice(-41), `last page ${JSON.stringify(f)}`);
      for (let guard = 0; page.items.length > 0 && guard < 100; guard++) {
        backward.unshift(...page.items.map((i) => i.id));
        page = store.listGallery({ ...f, limit: 41, before: page.firstCursor! }, { withTotal: false });
      }
      assert.deepEqual(backward, want, `backward ${JSON.stringify(f)}`);

      // Jumps: an offset lands where the plain sort says, also across the unscored segment.
      for (const offset of [0, 1, Math.floor(want.length / 2), want.length - 3, want.length + 5]) {
        assert.deepEqual(store.listGallery({ ...f, limit: 10, offset }).items.map((i) => i.id), want.slice(offset, offset + 10), `offset ${offset} ${JSON.stringify(f)}`);
      }
      // Whole items come in the same order.
      assert.deepEqual(store.listEvidence({ ...f, limit: 25, offset: 3 }).map((i) => i.id), want.slice(3, 28));
    }
  });

  it('tiles carry what a tile shows and no large JSON', () => {
    const page = store.listGallery({ sort: 'score', limit: 5 });
    const item: GalleryItem = page.items[0]!;
    assert.deepEqual(
      Object.keys(item).sort(),
      ['error', 'fileName', 'flagged', 'format', 'height', 'id', 'importedPath', 'ingestedAt', 'path', 'refused', 'resultId', 'reviewerFlag', 'score', 'scoreModel', 'scores', 'sha256', 'sizeBytes', 'status', 'storage', 'taskScores', 'verdict', 'width'],
    );
    // The latest result's scores, without per-crop scores or provider.
    assert.deepEqual(Object.keys(item.scores[0]!).sort(), ['fixture', 'flagged', 'modelId', 'modelVersion', 'score', 'task', 'threshold']);
    assert.equal(item.scores.length, t0(item.id).scores!.length);
    const t = t0(item.id);
    const best = t.scores!.reduce((a, b) => (b.score > a.score ? b : a));
    assert.equal(item.score, best.score);
    assert.equal(item.scoreModel?.threshold, best.threshold);
    const failed = store.listGallery({ hasError: true, limit: 1 }).items[0]!;
    assert.deepEqual([failed.status, failed.error?.code, failed.score], ['error', 'CORRUPT', null]);
    // By task, the tile names that task's model.
    const face = store.listGallery({ sort: 'score', scoreTask: 'face', limit: 1 }).items[0]!;
    assert.deepEqual([face.scoreModel?.modelId, face.scoreModel?.threshold], ['face-c', 0.7]);
    assert.equal(face.score, face.taskScores.face);
  });

  it('refuses a cursor from another order, and mixing ways to start a page', () => {
    const page = store.listGallery({ sort: 'name', limit: 3 });
    assert.throws(() => store.listGallery({ sort: 'score', after: page.lastCursor! }), /another order/);
    assert.throws(() => store.listGallery({ sort: 'name', after: 'garbage!' }), /cursor/);
    assert.throws(() => store.listGallery({ sort: 'name', after: page.lastCursor!, fromEnd: true }), /at most one/);
  });

  it('keeps the derived state current through results and reviews, and detects a tampered row', () => {
    assert.deepEqual(evidenceStateProblems(store.db), []);
    const target = truth.find((t) => t.scores && t.scores.length > 0 && !t.error)!;
    // A later run supersedes the item's scores; a review changes its verdict.
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.1' });
    const meta = store.getEvidence(target.id)!.metadata!;
    store.recordResult(run.id, target.id, okRecord(meta, [scored('gen-a', 'generated', 0.9995)], '2026-01-01T00:00:00.000Z'));
    store.finishRun(run.id, 'completed');
    store.setReview(target.id, { verdict: 'manipulated', flagged: true, reviewer: 'r2' });
    const top = store.listGallery({ sort: 'score', scoreMin: 0.999, scoreMax: 0.9999 }).items;
    assert.deepEqual(top.map((t) => [t.id, t.score, t.verdict, t.flagged, t.taskScores.manipulated]), [[target.id, 0.9995, 'manipulated', true, null]]);
    assert.deepEqual(evidenceStateProblems(store.db), []);

    store.db.prepare('UPDATE evidence_state SET score = 0.01 WHERE evidence_id = ?').run(target.id);
    const other = truth.find((t) => t.id !== target.id && t.scores?.some((x) => x.modelId === 'gen-a'))!;
    store.db.prepare("DELETE FROM current_scores WHERE evidence_id = ? AND model_id = 'gen-a'").run(other.id);
    assert.deepEqual(evidenceStateProblems(store.db), [target.id, other.id].sort((a, b) => a - b));
    store.transaction(() => rebuildEvidenceState(store.db));
    assert.deepEqual(evidenceStateProblems(store.db), []);
  });
});
