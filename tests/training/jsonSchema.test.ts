// One source for the training job and the trainer's events: the JSON Schemas the Python trainer
// reads are generated from the zod schemas of the contract, the committed files are current, and
// both sides accept and refuse the same jobs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TRAINER_PROTOCOL, trainingJobSchema } from '../../src/contract/training';
import { schemaDir, trainingJsonSchemas } from '../../src/main/training/jsonSchema';
import { readTrainerLine } from '../../src/main/training/trainerProcess';
import { SCRIPTS_DIR } from '../config';
import { pythonForTests } from './helpers';

test('the committed JSON Schemas are the ones generated from the contract (run npm run schema:training)', () => {
  const dir = schemaDir(SCRIPTS_DIR);
  for (const [name, text] of Object.entries(trainingJsonSchemas())) {
    assert.equal(readFileSync(join(dir, name), 'utf8'), text, `${name} is stale: run npm run schema:training`);
  }
  const job = JSON.parse(trainingJsonSchemas()['job.schema.json']);
  assert.equal(job.properties.epochs.maximum, 1000, 'one epoch limit, on both sides');
  assert.equal(job.properties.epochs.default, 10);
});

const base = { version: 1, modelId: 'm', data: { folder: '/data' }, model: { arch: 'small_cnn' } };
const jobs: Record<string, unknown> = {
  minimal: base,
  full: {
    ...base,
    name: 'A model',
    task: 'manipulated',
    data: { items: [{ path: '/a.png', label: 'real', group: 'g', split: 'val' }, { path: '/b.png', label: 'fake' }], valFraction: 0.3, splitSeed: 4 },
    model: { arch: 'resnet18', inputSize: 96, ela: { quality: 80 }, initWeights: null, backboneWeights: '/w.pth', allowPickle: false },
    mode: 'last-n',
    lastN: 3,
    epochs: 1000,
    batchSize: 8,
    maxStepsPerEpoch: 5,
    lr: { backbone: 0 },
    weightDecay: 0.01,
    schedule: { kind: 'plateau', patience: 0 },
    augment: { blur: { p: 0.1, sigma: [0, 0] }, jpeg: { quality: [30, 30] }, flip: false },
    earlyStopping: { patience: 0, metric: 'valAp' },
    seed: 2147483647,
    device: 'cpu',
    mixedPrecision: false,
    numWorkers: 64,
    parent: { modelId: 'p', version: null, sha256: 'a'.repeat(64) },
  },
  tooManyEpochs: { ...base, epochs: 1001 },
  fractionalEpochs: { ...base, epochs: 1.5 },
  unknownField: { ...base, epoch: 3 },
  unknownNested: { ...base, lr: { head: 1, backbon: 1 } },
  bothSources: { ...base, data: { folder: '/d', items: [{ path: '/a', label: 'real' }] } },
  noSource: { ...base, data: {} },
  emptyItems: { ...base, data: { items: [] } },
  badLabel: { ...base, data: { items: [{ path: '/a', label: 'maybe' }] } },
  unorderedRange: { ...base, augment: { blur: { sigma: [2, 1] } } },
  fractionalQuality: { ...base, augment: { jpeg: { quality: [30.5, 90] } } },
  badArch: { ...base, model: { arch: 'vgg16' } },
  badModelId: { ...base, modelId: 'Upper Case' },
  badParent: { ...base, parent: { modelId: 'p', version: 'r1' } },
  badWorkers: { ...base, numWorkers: 'many' },
  stringSeed: { ...base, seed: '1' },
  boolPickle: { ...base, model: { arch: 'small_cnn', allowPickle: 'yes' } },
  version2: { ...base, version: 2 },
  notObject: [1, 2],
};

test('zod (the app) and the Python trainer accept and refuse the same jobs, with the same defaults', { timeout: 120_000 }, async (t) => {
  const found = await pythonForTests();
  if ('skip' in found) return t.skip(found.skip);
  const script = [
    'import json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'from provenance_train.schema import JOB_SCHEMA, load_schema, validate',
    'out = {}',
    'for name, job in json.load(sys.stdin).items():',
    '    if not isinstance(job, dict):',
    '        out[name] = {"ok": False}; continue',
    '    value, problems = validate(load_schema(JOB_SCHEMA), job)',
    '    out[name] = {"ok": not problems, "value": value if not problems else None, "problems": problems}',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(found.env.executable, ['-c', script, SCRIPTS_DIR], { input: JSON.stringify(jobs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const python = JSON.parse(r.stdout) as Record<string, { ok: boolean; value: unknown; problems: string[] }>;
  for (const [name, job] of Object.entries(jobs)) {
    const zod = trainingJobSchema.safeParse(job);
    assert.equal(python[name].ok, zod.success, `${name}: zod ${zod.success ? 'accepts' : 'refuses'}, Python ${python[name].ok ? 'accepts' : `refuses (${python[name].problems})`}`);
    if (zod.success) assert.deepEqual(python[name].value, zod.data, `${name}: the same defaults filled in`);
  }
});

test('trainer lines are trusted only with this protocol version and the fields the app reads', () => {
  const ok = readTrainerLine(JSON.stringify({ type: 'error', protocol: TRAINER_PROTOCOL, message: 'boom', code: 'X' }));
  assert.equal(ok.kind, 'event');
  const old = readTrainerLine(JSON.stringify({ type: 'error', protocol: 1, message: 'boom' }));
  assert.ok(old.kind === 'invalid' && old.protocolMismatch, JSON.stringify(old));
  assert.match(old.kind === 'invalid' ? old.reason : '', /protocol 1, this app protocol 2/);
  const missing = readTrainerLine(JSON.stringify({ type: 'step', loss: 1 }));
  assert.ok(missing.kind === 'invalid' && missing.protocolMismatch);
  const malformed = readTrainerLine(JSON.stringify({ type: 'step', protocol: TRAINER_PROTOCOL, epoch: '1' }));
  assert.ok(malformed.kind === 'invalid' && !malformed.protocolMismatch, JSON.stringify(malformed));
  assert.match(malformed.kind === 'invalid' ? malformed.reason : '', /malformed "step" event \(epoch:/);
  assert.equal(readTrainerLine('Warning: something').kind, 'text');
  assert.equal(readTrainerLine('{not json').kind, 'text');
});
