import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { checkManifest } from '../../src/main/inference/manifest';
import { loadModelRegistry } from '../../src/main/inference/registry';

const REPO_MODELS = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const tmp = mkdtempSync(join(tmpdir(), 'provenance-registry-'));
/** The repository's test fixtures alone (resources/models also holds the shipped detectors). */
const MODELS_DIR = join(tmp, 'fixtures');
for (const id of readdirSync(REPO_MODELS).filter((d) => d.startsWith('fixture-'))) cpSync(join(REPO_MODELS, id), join(MODELS_DIR, id), { recursive: true });
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A models dir holding copies of the committed fixtures, for tampering. */
function copyFixtures(name: string): string {
  const dir = join(tmp, name);
  cpSync(MODELS_DIR, dir, { recursive: true });
  return dir;
}

function editManifest(dir: string, id: string, edit: (m: Record<string, any>) => void): void {
  const path = join(dir, id, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  edit(m);
  writeFileSync(path, JSON.stringify(m));
}

test('the committed fixtures load as valid, marked as fixtures', async () => {
  const registry = await loadModelRegistry(MODELS_DIR);
  const ids = registry.map((m) => m.id);
  assert.ok(ids.includes('fixture-texture-cnn') && ids.includes('fixture-ela-cnn'), `found ${ids.join(', ')}`);
  for (const id of ['fixture-texture-cnn', 'fixture-ela-cnn']) {
    const model = registry.find((m) => m.id === id)!;
    assert.equal(model.status, 'ok', model.problem);
    assert.equal(model.manifest?.fixture, true);
    assert.equal(model.modelPath, join(MODELS_DIR, id, 'model.onnx'));
  }
  // The shipped detectors next to them are valid too, and not fixtures.
  for (const m of (await loadModelRegistry(REPO_MODELS)).filter((r) => !r.id.startsWith('fixture-'))) {
    assert.equal(m.status, 'ok', `${m.id}: ${m.problem}`);
    assert.equal(m.manifest?.fixture, false);
  }
  const ela = registry.find((m) => m.id === 'fixture-ela-cnn')!;
  assert.equal(ela.manifest?.task, 'manipulated');
  assert.equal(ela.manifest?.preprocessing.inputTransform, 'ela');
  assert.equal(ela.manifest?.preprocessing.mode, 'resize');
});

test('a model whose file does not match the manifest sha256 is invalid with a clear reason', async () => {
  const dir = copyFixtures('sha');
  editManifest(dir, 'fixture-texture-cnn', (m) => (m.sha256 = '0'.repeat(64)));
  const registry = await loadModelRegistry(dir);
  const bad = registry.find((m) => m.id === 'fixture-texture-cnn')!;
  assert.equal(bad.status, 'invalid');
  assert.match(bad.problem!, /model\.onnx has SHA-256 [0-9a-f]{64} but the manifest expects 0{64}/);
  assert.equal(registry.find((m) => m.id === 'fixture-ela-cnn')!.status, 'ok', 'one bad model does not spoil the others');
});

test('a changed model file is caught by the sha256 check', async () => {
  const dir = copyFixtures('tampered');
  const path = join(dir, 'fixture-ela-cnn', 'model.onnx');
  const bytes = readFileSync(path);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(path, bytes);
  const bad = (await loadModelRegistry(dir)).find((m) => m.id === 'fixture-ela-cnn')!;
  assert.equal(bad.status, 'invalid');
  assert.match(bad.problem!, /SHA-256/);
});

test('a manifest missing a field is invalid and names the field', async () => {
  const dir = copyFixtures('missing');
  editManifest(dir, 'fixture-texture-cnn', (m) => {
    delete m.scoreMeaning;
    delete m.preprocessing.normalization.std;
  });
  const bad = (await loadModelRegistry(dir)).find((m) => m.id === 'fixture-texture-cnn')!;
  assert.equal(bad.status, 'invalid');
  assert.match(bad.problem!, /"scoreMeaning" must be one of "probability_fake", "logit_fake", it is missing/);
  assert.match(bad.problem!, /"preprocessing\.normalization\.std" must be an array of 3 positive numbers/);
});

test('id/directory mismatch, missing model.onnx, missing manifest and broken JSON are each reported', async () => {
  const dir = copyFixtures('various');
  editManifest(dir, 'fixture-texture-cnn', (m) => (m.id = 'something-else'));
  rmSync(join(dir, 'fixture-ela-cnn', 'model.onnx'));
  mkdirSync(join(dir, 'empty-model'));
  mkdirSync(join(dir, 'broken-json'));
  writeFileSync(join(dir, 'broken-json', 'manifest.json'), '{ "id": ');
  const byId = new Map((await loadModelRegistry(dir)).map((m) => [m.id, m]));
  assert.match(byId.get('fixture-texture-cnn')!.problem!, /manifest id "something-else" does not match its directory name/);
  assert.match(byId.get('fixture-ela-cnn')!.problem!, /model\.onnx is missing/);
  assert.match(byId.get('empty-model')!.problem!, /no manifest\.json/);
  assert.match(byId.get('broken-json')!.problem!, /not valid JSON/);
  for (const m of byId.values()) assert.equal(m.status, 'invalid');
});

test('a models directory that does not exist gives an empty registry', async () => {
  assert.deepEqual(await loadModelRegistry(join(tmp, 'nope')), []);
});

test('checkManifest reports every problem at once', () => {
  const fixture = JSON.parse(readFileSync(join(MODELS_DIR, 'fixture-texture-cnn', 'manifest.json'), 'utf8'));
  assert.equal(checkManifest(fixture).ok, true);
  const bad = structuredClone(fixture);
  bad.task = 'deepfake';
  bad.defaultThreshold = 1.5;
  bad.input.channels = 4;
  bad.preprocessing.mode = 'multi-crop';
  bad.preprocessing.cropCount = 7;
  bad.preprocessing.inputTransform = 'ela';
  bad.sha256 = 'ABC';
  const check = checkManifest(bad);
  assert.equal(check.ok, false);
  const problems = check.ok ? [] : check.problems;
  for (const field of ['task', 'defaultThreshold', 'input.channels', 'preprocessing.cropCount', 'preprocessing.elaQuality', 'preprocessing.elaScale', 'sha256']) {
    assert.ok(problems.some((p) => p.includes(`"${field}"`)), `no problem reported for ${field}: ${problems.join(' | ')}`);
  }
  assert.deepEqual(checkManifest([1, 2]), { ok: false, problems: ['the manifest must be a JSON object'] });
});

test('the manifest is strict: a field no check knows (a misspelling, say) is named, with the fields known there', () => {
  const fixture = JSON.parse(readFileSync(join(MODELS_DIR, 'fixture-texture-cnn', 'manifest.json'), 'utf8'));
  const typo = structuredClone(fixture);
  typo.defaultTreshold = 0.7;
  typo.preprocessing.elaQuality = 90; // only meaningful with inputTransform "ela"
  typo.provenance.licence_url = 'https://example.org';
  const check = checkManifest(typo);
  assert.equal(check.ok, false);
  const problems = check.ok ? [] : check.problems;
  assert.ok(problems.some((p) => /"defaultTreshold" is not a manifest field \(known here: .*defaultThreshold/.test(p)), problems.join(' | '));
  assert.ok(problems.some((p) => p.startsWith('"preprocessing.elaQuality" is not a manifest field')), problems.join(' | '));
  assert.ok(problems.some((p) => p.startsWith('"provenance.licence_url" is not a manifest field')), problems.join(' | '));
  assert.equal(problems.length, 3, problems.join(' | '));
});

test('a short name and a held-out evaluation are manifest fields: the app shows them beside every score', () => {
  const fixture = JSON.parse(readFileSync(join(MODELS_DIR, 'fixture-texture-cnn', 'manifest.json'), 'utf8'));
  const evaluated = { ...structuredClone(fixture), shortName: 'Texture', evaluation: { split: 'test', scoredBy: 'provenance evaluate', real: 10, fake: 10, threshold: 0.5, accuracy: 0.9, precision: 0.9, recall: 0.9, f1: 0.9, ap: null, fpr: 0.1, fnr: 0.1 } };
  const ok = checkManifest(evaluated);
  assert.equal(ok.ok, true, ok.ok ? '' : ok.problems.join(' | '));
  assert.equal(ok.ok && ok.manifest.evaluation?.fpr, 0.1);
  const typo = structuredClone(evaluated);
  typo.evaluation.fpR = 0.2;
  typo.evaluation.fnr = 1.5;
  const check = checkManifest(typo);
  const problems = check.ok ? [] : check.problems;
  assert.ok(problems.some((p) => p.startsWith('"evaluation.fpR" is not a manifest field')), problems.join(' | '));
  assert.ok(problems.some((p) => p.startsWith('"evaluation.fnr" must be a number in 0..1')), problems.join(' | '));
});
