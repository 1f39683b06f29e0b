import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import type { ModelVersionList } from '../../src/contract/training';
import type { ModelManifest } from '../../src/main/inference/manifest';
import {
  activateVersion,
  activeModelDir,
  discardVersion,
  getVersion,
  listModelVersions,
  loadVersionModel,
  registerVersion,
  rollbackVersion,
  type NewVersion,
} from '../../src/main/training/versions';
import { runCli } from '../cli/run';
import { testCatalogue } from '../config';
import { fixtureVersion } from './helpers';

/** What the app scores with: the catalogue's model per id (bundled, or the active version). */
const inUse = async (userModelsDir: string) => (await testCatalogue({ modelsDir: MODELS, userModelsDir }).entries()).map((e) => e.model);

const MODELS = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const tmp = mkdtempSync(join(tmpdir(), 'provenance-versions-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const fixture = (id: string) => ({
  onnx: join(MODELS, id, 'model.onnx'),
  manifest: JSON.parse(readFileSync(join(MODELS, id, 'manifest.json'), 'utf8')) as ModelManifest,
});

const newVersion = (id = 'fixture-texture-cnn', note?: string): NewVersion => fixtureVersion(id, { note });

const statuses = (l: ModelVersionList) => Object.fromEntries(l.versions.map((v) => [v.version, v.status]));

test('versions are numbered, inactive until activated, and replace the bundled model when active', async () => {
  const root = join(tmp, 'lifecycle');
  const r1 = await registerVersion(root, newVersion());
  const r2 = await registerVersion(root, newVersion());
  assert.deepEqual([r1.version, r2.version], ['r1', 'r2']);
  assert.equal(r1.status, 'candidate');
  const manifest = JSON.parse(readFileSync(join(r1.dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.version, 'r1', 'the manifest names the version the scores will carry');
  assert.equal(manifest.sha256, r1.sha256);

  let registry = await inUse(root);
  assert.equal(registry.find((m) => m.id === 'fixture-texture-cnn')?.dir, join(MODELS, 'fixture-texture-cnn'), 'bundled model while nothing is active');
  assert.equal(await activeModelDir(root, 'fixture-texture-cnn'), null);

  let list = await activateVersion(root, 'fixture-texture-cnn', 'r1');
  assert.equal(list.active, 'r1');
  assert.deepEqual(statuses(list), { r1: 'active', r2: 'candidate' });
  registry = await inUse(root);
  const active = registry.find((m) => m.id === 'fixture-texture-cnn')!;
  assert.equal(active.status, 'ok');
  assert.equal(active.dir, r1.dir);
  assert.equal(active.manifest?.version, 'r1');
  assert.ok(registry.some((m) => m.id === 'fixture-ela-cnn' && m.dir === join(MODELS, 'fixture-ela-cnn')), 'other models stay bundled');
  assert.equal(await activeModelDir(root, 'fixture-texture-cnn'), r1.dir);

  list = await activateVersion(root, 'fixture-texture-cnn', 'r2');
  assert.deepEqual(statuses(list), { r1: 'retired', r2: 'active' });

  // Rollback undoes activations one at a time, down to the bundled model.
  list = await rollbackVersion(root, 'fixture-texture-cnn');
  assert.equal(list.active, 'r1');
  list = await rollbackVersion(root, 'fixture-texture-cnn');
  assert.equal(list.active, null);
  await assert.rejects(rollbackVersion(root, 'fixture-texture-cnn'), /already on the bundled model/);
  assert.deepEqual(list.history.map((h) => [h.action, h.version]), [['activate', 'r1'], ['activate', 'r2'], ['rollback', 'r1'], ['rollback', null]]);

  // Rollback to any earlier version: activate it.
  list = await activateVersion(root, 'fixture-texture-cnn', 'r2');
  assert.equal(list.active, 'r2');
});

test('discard deletes the weights, keeps the record, and is refused for the active version', async () => {
  const root = join(tmp, 'discard');
  await registerVersion(root, newVersion());
  const r2 = await registerVersion(root, newVersion());
  await activateVersion(root, 'fixture-texture-cnn', 'r1');
  await assert.rejects(discardVersion(root, 'fixture-texture-cnn', 'r1'), /is active/);
  await activateVersion(root, 'fixture-texture-cnn', 'r2');
  const list = await discardVersion(root, 'fixture-texture-cnn', 'r1');
  assert.deepEqual(statuses(list), { r1: 'discarded', r2: 'active' });
  const r1 = await getVersion(root, 'fixture-texture-cnn', 'r1');
  assert.ok(!existsSync(join(r1.dir, 'model.onnx')), 'weights deleted');
  assert.ok(existsSync(join(r1.dir, 'version.json')), 'record kept');
  await assert.rejects(activateVersion(root, 'fixture-texture-cnn', 'r1'), /discarded/);
  // Rolling back past a discarded version goes to the bundled model.
  assert.equal((await rollbackVersion(root, 'fixture-texture-cnn')).active, null);
  // Numbers are never reused.
  assert.equal((await registerVersion(root, newVersion())).version, 'r3');
  assert.equal(r2.version, 'r2');
});

test('a tampered active version is listed as invalid, not silently replaced', async () => {
  const root = join(tmp, 'tamper');
  const v = await registerVersion(root, newVersion('fixture-ela-cnn'));
  await activateVersion(root, 'fixture-ela-cnn', 'r1');
  appendFileSync(join(v.dir, 'model.onnx'), Buffer.from([0]));
  const model = await loadVersionModel(root, 'fixture-ela-cnn', 'r1');
  assert.equal(model.status, 'invalid');
  assert.match(model.problem!, /SHA-256/);
  const registry = await inUse(root);
  assert.equal(registry.find((m) => m.id === 'fixture-ela-cnn')?.status, 'invalid');
  await assert.rejects(activateVersion(root, 'fixture-ela-cnn', 'r1'), /cannot be used/);
});

test('bad ids and unknown versions are errors that name them', async () => {
  const root = join(tmp, 'errors');
  await assert.rejects(getVersion(root, 'Bad Id', 'r1'), /not a model id/);
  await assert.rejects(getVersion(root, 'fixture-texture-cnn', 'v1'), /not a version/);
  await assert.rejects(getVersion(root, 'fixture-texture-cnn', 'r9'), /has no version r9/);
  assert.deepEqual(await listModelVersions(join(tmp, 'nowhere')), []);
});

test('the CLI lists, activates, rolls back and discards versions, and "models" shows them', async () => {
  const root = join(tmp, 'cli');
  await registerVersion(root, newVersion());
  await registerVersion(root, newVersion());
  const env = { PROVENANCE_USER_MODELS_DIR: root };
  let r = runCli(['versions', 'activate', 'fixture-texture-cnn', 'r2'], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /version r2 is active/);
  r = runCli(['versions', 'rollback', 'fixture-texture-cnn'], { env });
  assert.match(r.stdout, /bundled model is in use/);
  r = runCli(['versions', 'discard', 'fixture-texture-cnn', 'r1'], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /r1\s+discarded/);
  r = runCli(['versions', 'activate', 'fixture-texture-cnn', 'r1'], { env });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /discarded/);
  r = runCli(['models'], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /trained versions/);
  assert.match(r.stdout, /fixture-texture-cnn\s+r2\s+retired\s+head/);
});

test('analyse and evaluate run the activated version: the catalogue opens it, and scores carry its version', async () => {
  const root = join(tmp, 'in-use');
  await registerVersion(root, newVersion());
  const catalogue = testCatalogue({ modelsDir: MODELS, userModelsDir: root, provider: 'cpu' });
  const before = await catalogue.openDetectors({ ids: ['fixture-texture-cnn'] });
  assert.equal(before.detectors[0].model.manifest.version, '1.0.0');
  await Promise.all(before.detectors.map((d) => d.close()));
  await activateVersion(root, 'fixture-texture-cnn', 'r1');
  const after = await catalogue.openDetectors({ ids: ['fixture-texture-cnn'] });
  try {
    assert.equal(after.detectors[0].model.manifest.version, 'r1');
    const { makeNaturalPixels } = await import('../fixtures/images');
    const [score] = await after.detectors[0].score([{ data: makeNaturalPixels(64, 64, 3), width: 64, height: 64, channels: 3 }]);
    assert.equal(score.modelVersion, 'r1');
  } finally {
    await Promise.all(after.detectors.map((d) => d.close()));
  }
});
