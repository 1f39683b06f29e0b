import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { ARCHITECTURE, CONV1_OUT, CONV2_OUT, INPUT_SIZE, buildFixtures, fixtureSpec, fixtureWeights, type FixtureWeights } from '../../scripts/make-fixture-model';
import { DataType, GraphBuilder, encodeModel } from '../../scripts/onnxWriter';

const MODELS_DIR = join(import.meta.dirname, '..', '..', 'resources', 'models');

async function open(bytes: Uint8Array): Promise<InferenceSession> {
  return InferenceSession.create(bytes, { executionProviders: ['cpu'] });
}

test('a hand-built graph with int64 shape initializer, negative attributes and float attributes runs in onnxruntime', async () => {
  // Reshape [N,6] → [N,2,3] via an int64 shape tensor holding -1, LeakyRelu with a float
  // attribute, then Softmax on axis -1 (a negative int64 varint).
  const g = new GraphBuilder();
  const shape = g.int64Initializer('shape', [3], BigInt64Array.of(-1n, 2n, 3n));
  const graph = g.build(
    'manual',
    [{ name: 'x', elemType: DataType.FLOAT, shape: ['N', 6] }],
    [{ name: 'y', elemType: DataType.FLOAT, shape: ['N', 2, 3] }],
  );
  graph.nodes.push(
    { opType: 'Reshape', inputs: ['x', shape], outputs: ['r'] },
    { opType: 'LeakyRelu', inputs: ['r'], outputs: ['l'], attributes: { alpha: 0.25 } },
    { opType: 'Softmax', inputs: ['l'], outputs: ['y'], attributes: { axis: { int: -1 } } },
  );
  const session = await open(encodeModel({ graph }));
  assert.deepEqual(session.inputMetadata[0], { name: 'x', isTensor: true, type: 'float32', shape: ['N', 6] });

  const x = Float32Array.of(0, 1, 2, 3, 3, 3, 1, 1, 1, -4, 0, 1);
  const out = (await session.run({ x: new Tensor('float32', x, [2, 6]) })).y;
  assert.deepEqual(out.dims, [2, 2, 3]);
  const expected: number[] = [];
  for (let row = 0; row < 4; row++) {
    const v = Array.from(x.slice(row * 3, row * 3 + 3)).map((a) => (a < 0 ? a * 0.25 : a));
    const e = v.map((a) => Math.exp(a - Math.max(...v)));
    const sum = e.reduce((a, b) => a + b, 0);
    expected.push(...e.map((a) => a / sum));
  }
  Array.from(out.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `softmax ${i}: ${v} vs ${expected[i]}`));
  await session.release();
});

test('encoded model carries ir_version 8, opset 17, producer and metadata', async () => {
  const g = new GraphBuilder();
  const y = g.sigmoid('x', 'y');
  const bytes = encodeModel({ graph: g.build('tiny', [{ name: 'x', elemType: DataType.FLOAT, shape: [1] }], [{ name: y, elemType: DataType.FLOAT, shape: [1] }]), metadata: { fixture: 'true' } });
  // ModelProto field 1 (ir_version) is the first varint: tag 0x08, value 8.
  assert.deepEqual(Array.from(bytes.slice(0, 2)), [0x08, 8]);
  assert.ok(Buffer.from(bytes).includes(Buffer.from('provenance-lab')));
  const session = await open(bytes);
  const out = await session.run({ x: new Tensor('float32', Float32Array.of(0), [1]) });
  assert.equal((out.y.data as Float32Array)[0], 0.5);
  await session.release();
});

test('tensor values that do not fill the dims are refused', () => {
  const g = new GraphBuilder();
  g.floatInitializer('w', [2, 2], new Float32Array(3));
  const graph = g.build('bad', [], []);
  assert.throws(() => encodeModel({ graph }), /3 values do not fill dims \[2, 2\]/);
});

// ---- The fixture graph, re-implemented by hand ---------------------------------------

function conv2d(x: Float32Array, ci: number, h: number, w: number, weight: Float32Array, bias: Float32Array, co: number, k: number, stride: number, pad: number) {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(co * oh * ow);
  for (let o = 0; o < co; o++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = bias[o];
        for (let i = 0; i < ci; i++) {
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride + ky - pad;
              const ix = ox * stride + kx - pad;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += x[(i * h + iy) * w + ix] * weight[((o * ci + i) * k + ky) * k + kx];
            }
          }
        }
        out[(o * oh + oy) * ow + ox] = acc;
      }
    }
  }
  return { out: Float32Array.from(out), oh, ow };
}

function referenceForward(weights: FixtureWeights, input: Float32Array) {
  const relu = (a: Float32Array) => a.map((v) => Math.max(0, v));
  const c1 = conv2d(input, 3, INPUT_SIZE, INPUT_SIZE, weights.conv1.weight, weights.conv1.bias, CONV1_OUT, 3, ARCHITECTURE.conv1.stride, ARCHITECTURE.conv1.pad);
  const a1 = relu(c1.out);
  const c2 = conv2d(a1, CONV1_OUT, c1.oh, c1.ow, weights.conv2.weight, weights.conv2.bias, CONV2_OUT, 3, ARCHITECTURE.conv2.stride, ARCHITECTURE.conv2.pad);
  const a2 = relu(c2.out);
  const plane = c2.oh * c2.ow;
  const features = Array.from({ length: CONV2_OUT }, (_, c) => a2.slice(c * plane, (c + 1) * plane).reduce((s, v) => s + v, 0) / plane);
  const logit = features.reduce((s, f, i) => s + f * weights.head.weight[i], weights.head.bias[0]);
  return { features, score: 1 / (1 + Math.exp(-logit)) };
}

/** A deterministic image-like input: smooth gradient plus a textured patch. */
function syntheticInput(seed: number): Float32Array {
  const t = new Float32Array(3 * INPUT_SIZE * INPUT_SIZE);
  let s = seed;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < INPUT_SIZE; y++) {
      for (let x = 0; x < INPUT_SIZE; x++) {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        const noise = x > 20 && x < 44 && y > 10 ? (s / 0x7fffffff - 0.5) * 2 : 0;
        t[(c * INPUT_SIZE + y) * INPUT_SIZE + x] = (x + y) / 64 - 1 + c * 0.1 + noise;
      }
    }
  }
  return t;
}

for (const id of ['fixture-texture-cnn', 'fixture-ela-cnn']) {
  test(`${id}: committed model.onnx computes exactly the hand-written graph with the seeded weights`, async () => {
    const weights = fixtureWeights(fixtureSpec(id));
    const session = await InferenceSession.create(join(MODELS_DIR, id, 'model.onnx'), { executionProviders: ['cpu'] });
    const inputs = [syntheticInput(1), syntheticInput(2)];
    const batch = new Float32Array(2 * inputs[0].length);
    inputs.forEach((t, i) => batch.set(t, i * t.length));
    const out = await session.run({ input: new Tensor('float32', batch, [2, 3, INPUT_SIZE, INPUT_SIZE]) });
    assert.deepEqual(out.score.dims, [2, 1]);
    assert.deepEqual(out.features.dims, [2, CONV2_OUT]);
    inputs.forEach((input, n) => {
      const ref = referenceForward(weights, input);
      const score = (out.score.data as Float32Array)[n];
      assert.ok(Math.abs(score - ref.score) < 1e-4, `score ${n}: onnx ${score} vs reference ${ref.score}`);
      ref.features.forEach((f, i) => {
        const got = (out.features.data as Float32Array)[n * CONV2_OUT + i];
        assert.ok(Math.abs(got - f) < 1e-4 * Math.max(1, Math.abs(f)), `feature ${n}/${i}: onnx ${got} vs reference ${f}`);
      });
    });
    // The two inputs differ in texture, so the scores must differ (not a constant model).
    assert.notEqual((out.score.data as Float32Array)[0], (out.score.data as Float32Array)[1]);
    await session.release();
  });
}

test('committed fixture files equal what scripts/make-fixture-model.ts produces, and sha256 matches', () => {
  for (const fixture of buildFixtures()) {
    const dir = join(MODELS_DIR, fixture.id);
    for (const [name, content] of Object.entries(fixture.files)) {
      const committed = readFileSync(join(dir, name));
      assert.ok(committed.equals(Buffer.from(content)), `${fixture.id}/${name} differs from the generator output; run npm run models:fixture`);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.sha256, createHash('sha256').update(readFileSync(join(dir, 'model.onnx'))).digest('hex'));
    assert.equal(manifest.fixture, true);
    assert.match(readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8'), /TEST FIXTURE — NOT A DETECTOR/);
    assert.ok(fixture.files['model.onnx'].length < 16 * 1024, 'fixture models stay tiny');
  }
});

test('generating twice gives identical bytes (seeded, no clock or randomness)', () => {
  const a = buildFixtures();
  const b = buildFixtures();
  a.forEach((f, i) => assert.ok(Buffer.from(f.files['model.onnx']).equals(Buffer.from(b[i].files['model.onnx']))));
});
