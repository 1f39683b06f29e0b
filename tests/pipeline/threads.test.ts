// How many threads the pipeline uses on a machine: prepare workers per core (at least two, so a
// 2-core machine decodes one file while the other's ELA pass runs), and few intra-op threads per
// model session (inference runs beside the prepare workers, not instead of them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultIntraOpThreads } from '../../src/main/inference';
import { defaultPrepareWorkers } from '../../src/main/pipeline/preparePool';

test('prepare workers: one per core, at least 2, at most 16', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 16, 64].map((c) => defaultPrepareWorkers(c)), [2, 2, 3, 4, 8, 16, 16]);
});

test('intra-op threads: one below 4 cores, then a quarter of the cores', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 16, 64].map((c) => defaultIntraOpThreads(c)), [1, 1, 1, 1, 2, 4, 16]);
});
