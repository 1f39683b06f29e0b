import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAppServices, type AppServices } from '../../src/main/services';
import { testConfigStore } from '../config';
import { makeLabelledFolder } from '../training/helpers';
import { caller, finishedJob } from './call';

describe('AppServices: training and model versions', () => {
  let services: AppServices;
  let root: string;

  const call = caller(() => services);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'services-train-'));
    services = createAppServices({ config: testConfigStore({ stateDir: join(root, 'state'), userModelsDir: join(root, 'user-models') }), shell: 'test-server', pickFolder: async () => null });
  });
  after(() => services.close());

  test('the Python check answers at once from its last result, kept in the state folder', async () => {
    // The answer an earlier check left (the interpreters take tens of seconds to answer): shown
    // at once, marked as cached, without asking any interpreter again.
    const kept = { found: false, probes: [{ command: '/opt/old/python3', source: 'candidate', ok: false, problem: 'not found' }], install: 'Install PyTorch.', checkedAt: '2026-01-02T03:04:05.000Z', cached: false };
    mkdirSync(join(root, 'state'), { recursive: true });
    writeFileSync(join(root, 'state', 'python-environment.json'), JSON.stringify({ '': kept }));
    const started = performance.now();
    const answer = await call('training.environment', {});
    assert.ok(performance.now() - started < 2000, 'no interpreter was started');
    assert.equal(answer.cached, true);
    assert.equal(answer.checkedAt, kept.checkedAt);
    assert.deepEqual(answer.probes, kept.probes);
  });

  test('a malformed training job is refused by main before any process starts', async () => {
    const r = await services.dispatch('training.start', { job: { version: 1, modelId: 'x', data: { folder: '/d', items: [] }, model: { arch: 'vgg' } } });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'INVALID_REQUEST');
    assert.match(!r.ok ? r.error.message : '', /model\.arch/);
    assert.match(!r.ok ? r.error.message : '', /job\.data: give exactly one of "items", "folder", "prepare"/);
  });

  test('head training as a job: events stream, a candidate version appears, activate / compare / rollback / discard', async () => {
    const data = join(root, 'data');
    await makeLabelledFolder(data, { perLabel: 12, size: 64, realNoise: 40, fakeNoise: 0, seed: 3 });
    const events: string[] = [];
    const unsubscribe = services.events.subscribe((event, payload) => {
      if (event === 'training.event') events.push((payload as { event: { type: string } }).event.type);
    });
    const { jobId } = await call('training.head', { modelId: 'fixture-texture-cnn', folder: data, seed: 1 });
    const job = await finishedJob(services, jobId, 'train-head');
    unsubscribe();
    assert.equal(job.status, 'completed', job.error);
    const result = job.result!;
    assert.equal(result.version.version, 'r1');
    assert.ok(events.includes('stage') && events.includes('registered'));

    let [list] = await call('models.versions', { modelId: 'fixture-texture-cnn' });
    assert.equal(list.active, null);
    assert.equal(list.versions[0].status, 'candidate');

    const compared = await call('models.compare', { modelId: 'fixture-texture-cnn', version: 'r1' });
    assert.ok(compared.metrics.detector && compared.baseline, 'both sides measured on the same validation split');

    list = await call('models.activate', { modelId: 'fixture-texture-cnn', version: 'r1' });
    assert.equal(list.active, 'r1');
    const models = await call('models.list', {});
    assert.equal(models.models.find((m) => m.id === 'fixture-texture-cnn')?.version, 'r1', 'the app now scores with the new version');
    const refused = await services.dispatch('models.discard', { modelId: 'fixture-texture-cnn', version: 'r1' });
    assert.equal(refused.ok, false, 'the active version cannot be discarded');
    list = await call('models.rollback', { modelId: 'fixture-texture-cnn' });
    assert.equal(list.active, null);
    list = await call('models.discard', { modelId: 'fixture-texture-cnn', version: 'r1' });
    assert.equal(list.versions[0].status, 'discarded');
  });
});
