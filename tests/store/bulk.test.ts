import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { EvidenceFilter } from '../../src/contract/case';
import { pageQueryPlans } from '../../src/main/store/evidenceQuery';
import { openCaseDatabase } from '../../src/main/store/open';
import { CASE_INPUT, RUN_PARAMETERS, fakeMetadata, okRecord, removeDir, score, sha256Of, tempDir } from './helpers';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const N = 10_000;

// Not a timing test: it checks that a gallery-sized case imports in one transaction and that a
// page comes from one query whose plan searches indexes instead of scanning results or reviews.
it('10,000 items with results: one-transaction import, page 1 by score, count, indexed plan', () => {
  const dir = tempDir();
  dirs.push(dir);
  const store = openCaseDatabase(dir);
  try {
    const c = store.createCase(CASE_INPUT);
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    // Score i/N for gen-a and a constant 0.5 for gen-b: the max is gen-a's above 0.5, else 0.5.
    store.transaction(() => {
      for (let i = 0; i < N; i++) {
        const meta = fakeMetadata(`/bulk/img-${String(i).padStart(5, '0')}.jpg`, sha256Of(`bulk ${i}`));
        const item = store.addEvidence(meta);
        store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', i / N), score('gen-b', 0.5)]));
      }
    });
    store.finishRun(run.id, 'completed');

    assert.equal(store.countEvidence(), N);
    const page1 = store.listEvidence({ sort: 'score', limit: 50 });
    assert.equal(page1.length, 50);
    assert.equal(page1[0]!.fileName, `img-${String(N - 1).padStart(5, '0')}.jpg`);
    assert.equal(page1[0]!.score, (N - 1) / N);
    for (let k = 1; k < page1.length; k++) assert.ok(page1[k - 1]!.score! >= page1[k]!.score!);
    assert.ok(page1.every((item) => item.latestResult?.scores.length === 2 && item.review === null));

    const page3 = store.listEvidence({ sort: 'score', limit: 50, offset: 100 });
    assert.equal(page3[0]!.score, (N - 101) / N);
    assert.equal(store.countEvidence({ modelId: 'gen-a', scoreMin: 0.9 }), N / 10);
    assert.equal(store.countEvidence({ scoreMax: 0.5 }), N / 2 + 1); // gen-a <= 0.5 leaves the max at 0.5

    // Every page is an index walk from its cursor: no sort of the case (temp B-tree), no scan.
    const filters: EvidenceFilter[] = [
      { sort: 'score' },
      { sort: 'score', descending: true },
      { sort: 'score', scoreTask: 'generated' },
      { sort: 'name', verdict: 'generated', flagged: true },
      { sort: 'time', descending: true },
      { sort: 'score', modelId: 'gen-a', scoreMin: 0.5, hasError: false },
    ];
    for (const filter of filters) {
      for (const plan of pageQueryPlans(store.db, c.id, filter)) {
        const bad = plan.filter((d) => d.startsWith('SCAN') || d.includes('TEMP B-TREE'));
        assert.deepEqual(bad, [], `index walk for ${JSON.stringify(filter)}:\n${plan.join('\n')}`);
        assert.ok(plan.some((d) => /SEARCH \w+ USING (COVERING )?INDEX (evidence_state|current_scores)_/.test(d)), `${JSON.stringify(filter)}:\n${plan.join('\n')}`);
      }
    }
  } finally {
    store.close();
  }
});
