import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Detector } from '../../src/main/inference/detector';
import { availableProviders, providerOrder } from '../../src/main/inference/providers';
import { loadModelRegistry } from '../../src/main/inference/registry';
import { SessionOpenError, createSession } from '../../src/main/inference/session';

const MODELS_DIR = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const MODEL = join(MODELS_DIR, 'fixture-texture-cnn', 'model.onnx');

test('availableProviders lists what this onnxruntime-node build ships, cpu always', () => {
  const providers = availableProviders();
  assert.ok(providers.includes('cpu'));
  for (const p of providers) assert.ok(['webgpu', 'dml', 'coreml', 'cuda', 'cpu'].includes(p));
});

test('auto order is webgpu → dml (Windows) → coreml (macOS) → cpu, limited to shipped providers', () => {
  const all = ['webgpu', 'dml', 'coreml', 'cpu'] as const;
  assert.deepEqual(providerOrder('auto', { platform: 'win32', available: [...all] }), ['webgpu', 'dml', 'cpu']);
  assert.deepEqual(providerOrder('auto', { platform: 'darwin', available: [...all] }), ['webgpu', 'coreml', 'cpu']);
  assert.deepEqual(providerOrder('auto', { platform: 'linux', available: [...all], gpu: true }), ['webgpu', 'cpu']);
  // No GPU device on a Linux machine: 'auto' does not probe WebGPU (whose driver search prints warnings).
  assert.deepEqual(providerOrder('auto', { platform: 'linux', available: [...all], gpu: false }), ['cpu']);
  // A GPU asked for by name is still tried, and fails with its reason.
  assert.deepEqual(providerOrder('webgpu', { platform: 'linux', available: [...all], gpu: false }), ['webgpu']);
  assert.deepEqual(providerOrder('auto', { platform: 'win32', available: ['cpu'] }), ['cpu']);
  assert.deepEqual(providerOrder(undefined, { platform: 'linux', available: ['webgpu', 'cpu'], gpu: true }), ['webgpu', 'cpu']);
});

test('a named provider is strict by default; non-strict falls back through the auto order', () => {
  assert.deepEqual(providerOrder('webgpu', { platform: 'linux', available: ['webgpu', 'cpu'] }), ['webgpu']);
  assert.deepEqual(providerOrder('cpu'), ['cpu']);
  assert.deepEqual(providerOrder('dml', { strict: false, platform: 'win32', available: ['webgpu', 'dml', 'cpu'] }), ['dml', 'webgpu', 'cpu']);
});

test('auto tries each provider alone and records why a failed one was skipped', async () => {
  const order = providerOrder('auto');
  const opened = await createSession(MODEL, order);
  // Whatever happened on this machine, the attempts tell the same story as the result.
  assert.deepEqual(
    opened.attempts.map((a) => a.provider),
    order.slice(0, order.indexOf(opened.provider) + 1),
  );
  const last = opened.attempts.at(-1)!;
  assert.equal(last.provider, opened.provider);
  assert.equal(last.error, undefined);
  for (const failed of opened.attempts.slice(0, -1)) assert.ok(failed.error && failed.error.length > 0, `${failed.provider} failed without a reason`);
  if (order[0] === 'webgpu' && opened.provider !== 'webgpu') {
    // No GPU adapter here: webgpu's own error is what the user gets to see.
    assert.match(opened.attempts[0].error!, /webgpu|adapter/i);
  }
  await opened.session.release();
});

test('strict webgpu either runs on webgpu or fails loudly, never silently on cpu', async () => {
  const registry = await loadModelRegistry(MODELS_DIR);
  const model = registry.find((m) => m.id === 'fixture-texture-cnn')!;
  let detector: Detector | undefined;
  try {
    detector = await Detector.open(model, { provider: 'webgpu' });
  } catch (err) {
    assert.ok(err instanceof SessionOpenError, `expected SessionOpenError, got ${err}`);
    assert.deepEqual(err.attempts.map((a) => a.provider), ['webgpu']);
    assert.match(err.message, /Could not open .*model\.onnx on webgpu \(webgpu: /);
    return;
  }
  assert.equal(detector.provider, 'webgpu');
  await detector.close();
});

test('strict request for a provider this build does not ship throws with that provider\'s reason', async () => {
  const missing = (['dml', 'coreml', 'cuda'] as const).find((p) => !availableProviders().includes(p))!;
  const registry = await loadModelRegistry(MODELS_DIR);
  const model = registry.find((m) => m.id === 'fixture-texture-cnn')!;
  await assert.rejects(Detector.open(model, { provider: missing }), (err: unknown) => {
    assert.ok(err instanceof SessionOpenError);
    assert.deepEqual(err.attempts.map((a) => a.provider), [missing]);
    assert.ok(err.attempts[0].error!.length > 0);
    return true;
  });
  // Not strict: the same request falls back to a provider that works.
  const detector = await Detector.open(model, { provider: missing, strict: false });
  assert.equal(detector.attempts[0].provider, missing);
  assert.ok(detector.attempts[0].error);
  assert.notEqual(detector.provider, missing);
  await detector.close();
});

test('non-strict webgpu falls back and says so', async () => {
  const registry = await loadModelRegistry(MODELS_DIR);
  const model = registry.find((m) => m.id === 'fixture-texture-cnn')!;
  const detector = await Detector.open(model, { provider: 'webgpu', strict: false, threads: 1 });
  assert.equal(detector.attempts[0].provider, 'webgpu');
  if (detector.provider !== 'webgpu') {
    assert.ok(detector.attempts[0].error);
    assert.equal(detector.attempts.at(-1)!.provider, detector.provider);
  }
  await detector.close();
});

test('createSession reports every provider that failed and rejects bad thread counts', async () => {
  await assert.rejects(createSession(join(MODELS_DIR, 'no-such-model.onnx'), ['cpu']), (err: unknown) => {
    assert.ok(err instanceof SessionOpenError);
    assert.equal(err.attempts.length, 1);
    assert.equal(err.attempts[0].provider, 'cpu');
    assert.ok(err.attempts[0].error);
    return true;
  });
  await assert.rejects(createSession(MODEL, ['cpu'], { intraOpNumThreads: -1 }), /intraOpNumThreads must be a whole number/);
  await assert.rejects(createSession(MODEL, []), /at least one execution provider/);
});

test('Detector.open refuses an invalid registry entry with its problem', async () => {
  await assert.rejects(
    Detector.open({ id: 'x', dir: '/x', modelPath: '/x/model.onnx', status: 'invalid', problem: 'model.onnx is missing from /x' }),
    /Model x is not usable: model\.onnx is missing from \/x/,
  );
});
