import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fixtureModelBytes, fixtureSpec, fixtureWeights } from '../../scripts/make-fixture-model';
import { checkManifest } from '../../src/main/inference/manifest';
import { findHead, withHead } from '../../src/main/training/onnxHead';
import { decodeFields, decodeOnnx, OnnxFormatError, replaceInitializers } from '../../src/main/training/onnxProto';

const MODELS = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const load = (id: string) => {
  const check = checkManifest(JSON.parse(readFileSync(join(MODELS, id, 'manifest.json'), 'utf8')));
  assert.ok(check.ok);
  return { bytes: new Uint8Array(readFileSync(join(MODELS, id, 'model.onnx'))), manifest: check.manifest };
};

test('reads the graph of a committed fixture model', () => {
  const { bytes } = load('fixture-texture-cnn');
  const g = decodeOnnx(bytes);
  assert.deepEqual(g.nodes.map((n) => n.opType), ['Conv', 'Relu', 'Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Sigmoid']);
  assert.deepEqual(g.graphInputs, ['input']);
  assert.deepEqual(g.graphOutputs, ['score', 'features']);
  const w = g.initializer('head.weight')!;
  assert.deepEqual(w.dims, [1, 16]);
  const expected = fixtureWeights(fixtureSpec('fixture-texture-cnn')).head.weight;
  assert.deepEqual(Array.from(w.values!), Array.from(expected));
});

test('finds the head and splices new weights byte-for-byte as the model builder would write them', () => {
  for (const id of ['fixture-texture-cnn', 'fixture-ela-cnn']) {
    const { bytes, manifest } = load(id);
    const head = findHead(bytes, manifest);
    assert.equal(head.inFeatures, 16);
    assert.equal(head.sigmoid, true);
    assert.deepEqual([head.weightName, head.biasName], ['head.weight', 'head.bias']);

    const spec = fixtureSpec(id);
    const weights = fixtureWeights(spec);
    const newWeight = Float32Array.from({ length: 16 }, (_, i) => (i - 7.5) / 10);
    const spliced = withHead(bytes, head, newWeight, -0.25);
    const { sha256: _sha, ...rest } = manifest;
    const rebuilt = fixtureModelBytes({ ...weights, head: { weight: newWeight, bias: Float32Array.of(-0.25) } }, rest);
    assert.ok(Buffer.from(spliced).equals(Buffer.from(rebuilt)), `${id}: spliced file equals a freshly built one`);
  }
});

test('refuses what it cannot handle, with the reason', () => {
  const { bytes, manifest } = load('fixture-texture-cnn');
  assert.throws(() => replaceInitializers(bytes, [{ name: 'nope', dims: [1], values: Float32Array.of(0) }]), /no initializer named nope/);
  assert.throws(() => findHead(bytes, { ...manifest, outputs: { score: 'score', features: 'missing' } }), /no Gemm reads "missing"/);
  assert.throws(() => findHead(bytes, { ...manifest, outputs: { score: 'other', features: 'features' } }), /does not go through one Sigmoid/);
  assert.throws(() => decodeOnnx(bytes.subarray(0, bytes.length - 100)), OnnxFormatError);
  assert.throws(() => decodeFields(Uint8Array.of(0x0b)), /unsupported wire type 3/);
});
