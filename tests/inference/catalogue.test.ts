// The model catalogue: installed folders merged in order, active trained versions replacing the
// installed model of their id, fixtures hidden unless the developer setting shows them, the
// configured provider applied when detectors open.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ModelCatalogue, ModelUnavailableError } from '../../src/main/inference/catalogue';
import type { ModelManifest } from '../../src/main/inference/manifest';
import { activateVersion, registerVersion } from '../../src/main/training/versions';
import { MODELS_DIR, SHIPPED_DETECTORS } from '../config';
import { fixtureVersion } from '../training/helpers';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-catalogue-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A model folder holding a copy of a fixture under another id, marked as a real (non-fixture) detector. */
function realModelFolder(name: string, id: string, from = 'fixture-texture-cnn'): string {
  const dir = join(tmp, name);
  cpSync(join(MODELS_DIR, from), join(dir, id), { recursive: true });
  const path = join(dir, id, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as ModelManifest;
  writeFileSync(path, JSON.stringify({ ...manifest, id, name: `Detector ${id}`, fixture: false }));
  return dir;
}

const catalogue = (opts: Partial<ConstructorParameters<typeof ModelCatalogue>[0]> = {}) =>
  new ModelCatalogue({ modelDirs: [MODELS_DIR], userModelsDir: join(tmp, 'no-versions'), showFixtureModels: false, provider: 'cpu', ...opts });

test('test fixtures are hidden from lists and default runs unless the developer setting shows them', async () => {
  const extra = realModelFolder('extra', 'generated-test');
  const hiding = catalogue({ modelDirs: [MODELS_DIR, extra] });
  assert.deepEqual((await hiding.list()).map((e) => e.id), [...SHIPPED_DETECTORS, 'generated-test'].sort());
  const selection = await hiding.select();
  assert.deepEqual(selection.chosen.map((m) => m.id).sort(), [...SHIPPED_DETECTORS, 'generated-test'].sort());
  assert.deepEqual(selection.hidden.map((e) => e.id), ['fixture-ela-cnn', 'fixture-texture-cnn']);
  assert.ok((await hiding.entries()).every((e) => e.hidden === e.fixture), 'entries() still knows them (reports name the models a case used)');

  // Naming a fixture is the opt-in: tests and developers can always run one explicitly.
  const named = await hiding.select(['fixture-ela-cnn']);
  assert.deepEqual(named.chosen.map((m) => m.id), ['fixture-ela-cnn']);

  const showing = catalogue({ modelDirs: [MODELS_DIR, extra], showFixtureModels: true });
  assert.deepEqual((await showing.list()).map((e) => e.id), ['fixture-ela-cnn', 'fixture-texture-cnn', ...SHIPPED_DETECTORS, 'generated-test'].sort());
  assert.deepEqual((await showing.select()).hidden, []);
});

test('folders are searched in order: an id in an earlier folder wins, later folders add models', async () => {
  const first = realModelFolder('first', 'manipulated-a', 'fixture-ela-cnn');
  const second = realModelFolder('second', 'manipulated-a');
  realModelFolder('second', 'manipulated-b');
  const c = catalogue({ modelDirs: [first, second] });
  const entries = await c.entries();
  assert.deepEqual(entries.map((e) => e.id), ['manipulated-a', 'manipulated-b']);
  assert.equal(entries[0].installedDir, join(first, 'manipulated-a'));
  assert.equal(entries[0].model.manifest?.task, 'manipulated', 'the first folder’s model');
});

test('an active trained version replaces the installed model; a version-only model appears once active', async () => {
  const userModelsDir = join(tmp, 'versions');
  await registerVersion(userModelsDir, fixtureVersion('fixture-texture-cnn'));
  await registerVersion(userModelsDir, fixtureVersion('my-detector', { from: 'fixture-ela-cnn', fixture: false }));
  const c = catalogue({ userModelsDir, showFixtureModels: true });
  assert.equal((await c.entries()).find((e) => e.id === 'fixture-texture-cnn')?.activeVersion, null, 'a candidate changes nothing');
  assert.ok(!(await c.entries()).some((e) => e.id === 'my-detector'), 'an inactive version-only model is not in use');

  await activateVersion(userModelsDir, 'fixture-texture-cnn', 'r1');
  await c.activate('my-detector', 'r1');
  const entries = await c.entries();
  const texture = entries.find((e) => e.id === 'fixture-texture-cnn')!;
  assert.equal(texture.activeVersion, 'r1');
  assert.equal(texture.model.manifest?.version, 'r1');
  assert.equal(texture.installedDir, join(MODELS_DIR, 'fixture-texture-cnn'));
  const mine = entries.find((e) => e.id === 'my-detector')!;
  assert.equal(mine.installedDir, null);
  assert.equal(mine.hidden, false);
  assert.equal((await c.find('fixture-texture-cnn')).manifest.version, 'r1', 'find() loads what is in use');
  assert.equal((await c.find('fixture-texture-cnn', 'r1')).dir, texture.model.dir);
  assert.deepEqual((await c.versions('my-detector'))[0].active, 'r1');
});

test('an unknown id names what exists, hidden fixtures included; an unusable one says why', async () => {
  const c = catalogue();
  await assert.rejects(c.select(['nope']), (err: unknown) => err instanceof ModelUnavailableError && err.reason === 'unknown' && err.message.includes(`No model "nope". Available: ${SHIPPED_DETECTORS.join(', ') || 'none'} (test fixtures, hidden by default: fixture-ela-cnn, fixture-texture-cnn)`));
  const broken = join(tmp, 'broken');
  cpSync(MODELS_DIR, broken, { recursive: true });
  writeFileSync(join(broken, 'fixture-ela-cnn', 'model.onnx'), 'not onnx');
  const b = catalogue({ modelDirs: [broken], showFixtureModels: true });
  await assert.rejects(b.select(['fixture-ela-cnn']), (err: unknown) => err instanceof ModelUnavailableError && err.reason === 'invalid' && /SHA-256/.test(err.message));
  const selection = await b.select();
  assert.deepEqual(selection.skipped.map((m) => m.id), ['fixture-ela-cnn'], 'listed but skipped by a default run');
  assert.deepEqual(selection.chosen.map((m) => m.id).sort(), ['fixture-texture-cnn', ...SHIPPED_DETECTORS].sort());
});

test('detectors open on the configured provider unless a caller asks for another', async () => {
  const c = catalogue({ showFixtureModels: true, provider: 'cpu' });
  const { detectors } = await c.openDetectors({ ids: ['fixture-texture-cnn'] });
  try {
    assert.equal(detectors[0].provider, 'cpu');
    assert.deepEqual(detectors[0].attempts.map((a) => a.provider), ['cpu'], 'a named provider is strict: nothing else tried');
  } finally {
    await Promise.all(detectors.map((d) => d.close()));
  }
});
