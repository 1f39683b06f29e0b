// The CI test of the issue: a real tiny training job on generated images, end to end — spawn,
// progress lines, SIGTERM mid-training, checkpoint, resume (through the CLI), ONNX export,
// parity with onnxruntime-node, registration as a version, and scoring through the app's
// normal Detector path.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { JobProgress } from '../../src/contract/jobs';
import type { TrainerEvent, TrainingEvent, TrainingJobSpec, TrainingRunResult } from '../../src/contract/training';
import { Detector } from '../../src/main/inference/detector';
import { dataHash, prepareItems } from '../../src/main/training/dataset';
import { decodeFile } from '../../src/main/training/evaluate';
import { parseTrainerLine, runTrainerProcess } from '../../src/main/training/trainerProcess';
import { trainHead } from '../../src/main/training/headTraining';
import { runTrainingJob } from '../../src/main/training/trainingJob';
import { activateVersion, loadVersionModel } from '../../src/main/training/versions';
import { runCli } from '../cli/run';
import { SCRIPTS_DIR, testCatalogue } from '../config';
import { makeLabelledFolder, pythonForTests } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-train-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const data = join(tmp, 'data');
const userModels = join(tmp, 'user-models');
/** Where versions go, the trainer's scripts, and the models in use (for baselines), as the app passes them. */
const training = { userModelsDir: userModels, scriptsDir: SCRIPTS_DIR, catalogue: testCatalogue({ userModelsDir: userModels }) };
/** The app's training folder in these tests: every work folder lies inside it. */
const runs = join(tmp, 'runs');
mkdirSync(runs, { recursive: true });

function tinyJob(): TrainingJobSpec {
  return {
    version: 1,
    modelId: 'tiny-detector',
    name: 'Tiny test detector',
    task: 'generated',
    data: { folder: data, valFraction: 0.25 },
    model: { arch: 'small_cnn', inputSize: 32 },
    mode: 'full',
    // 24 training images in batches of 4: 6 steps per epoch, 48 in all, so a SIGTERM sent on
    // the first step event lands well before the end.
    epochs: 8,
    batchSize: 4,
    lr: { backbone: 0.001, head: 0.001 },
    schedule: { kind: 'step', stepSize: 4, gamma: 0.5 },
    weightDecay: 1e-4,
    augment: { blur: { p: 0.2, sigma: [0, 0.5] }, jpeg: { p: 0.2, quality: [90, 95] }, flip: true },
    earlyStopping: { patience: 0 },
    seed: 3,
    device: 'cpu',
  };
}

describe('Python training backend, end to end', () => {
  test('train, cancel with SIGTERM, resume, export, parity, register, score', { timeout: 300_000 }, async (t) => {
    const found = await pythonForTests();
    if ('skip' in found) return t.skip(found.skip);
    await makeLabelledFolder(data, { perLabel: 16, size: 48, realNoise: 1, fakeNoise: 60 });
    const job = tinyJob();
    const workdir = join(runs, 'run');
    const jobPath = join(tmp, 'job.json');
    writeFileSync(jobPath, JSON.stringify(job));

    // The same job without interruption, alongside: a resumed run must end where it would have.
    const reference = runTrainerProcess({
      python: found.env.executable,
      script: 'train.py',
      scriptsDir: SCRIPTS_DIR,
      args: ['--job', jobPath, '--workdir', join(runs, 'reference'), '--training-root', runs, '--no-export'],
    });

    // 1. Start, watch progress, cancel on the first step.
    const events: TrainingEvent[] = [];
    const progress: JobProgress[] = [];
    const controller = new AbortController();
    const first = await runTrainingJob(job, {
      workdir,
      ...training,
      trainingRoot: runs,
      environment: found.env,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'step') controller.abort();
      },
      onProgress: (p) => progress.push(p),
    });
    assert.equal(first.status, 'cancelled', first.error);
    const types = events.map((e) => e.type);
    for (const type of ['start', 'data', 'step', 'checkpoint', 'cancelled'] as const) assert.ok(types.includes(type), `${type} event in ${types.join(',')}`);
    const start = events.find((e) => e.type === 'start') as Extract<TrainingEvent, { type: 'start' }>;
    assert.equal(start.device.kind, 'cpu');
    const cancelled = events.find((e) => e.type === 'cancelled') as Extract<TrainingEvent, { type: 'cancelled' }>;
    assert.equal(cancelled.signal, 15, 'stopped by SIGTERM');
    const stoppedAt = cancelled.epoch * 6 + cancelled.step;
    assert.ok(stoppedAt >= 1 && stoppedAt < 48, `stopped mid-training at global step ${stoppedAt}`);
    assert.equal(first.checkpoint, join(workdir, 'checkpoint.json'));
    assert.ok(existsSync(first.checkpoint!), 'checkpoint written on cancel');
    assert.ok(progress.length > 0 && progress[0].total === 48, `progress in steps: ${JSON.stringify(progress[0])}`);
    assert.ok(!existsSync(join(userModels, 'tiny-detector')), 'nothing registered for a cancelled run');

    // 2. Resume headless through the CLI.
    const cli = runCli(['train', '--job', jobPath, '--runs-dir', runs, '--workdir', 'run', '--resume', '--user-models', userModels, '--json']);
    assert.equal(cli.status, 0, cli.stderr);
    const result = JSON.parse(cli.stdout) as TrainingRunResult;
    assert.equal(result.status, 'completed', result.error);
    assert.deepEqual(result.history.map((h) => h.epoch), [1, 2, 3, 4, 5, 6, 7, 8], 'epochs before the cancel are kept');
    assert.ok(existsSync(join(workdir, 'output', 'model.onnx')));
    const uninterrupted = (await reference).last.done!.history;
    assert.deepEqual(
      result.history.map((h) => [h.trainLoss, h.valLoss]),
      uninterrupted.map((h) => [h.trainLoss, h.valLoss]),
      'the resumed run retraces the uninterrupted one: same batches, augmentations and optimiser state',
    );
    // It learned something: the noisy class is found on held-out images.
    assert.ok(result.history.at(-1)!.trainLoss < result.history[0].trainLoss);
    assert.ok(result.version!.metrics.trainer!.valAp! >= 0.8, `validation AP ${result.version!.metrics.trainer!.valAp}`);

    // 3. The registered version: parity, lineage, data hashes, held-out metrics.
    const v = result.version!;
    assert.equal(v.modelId, 'tiny-detector');
    assert.equal(v.version, 'r1');
    assert.equal(v.status, 'candidate');
    assert.equal(v.source, 'python');
    assert.ok(v.parity!.ok && v.parity!.maxAbsDiff < 1e-4, `ONNX vs PyTorch: ${JSON.stringify(v.parity)}`);
    assert.match(v.jobSha256, /^[0-9a-f]{64}$/);
    const { train, val } = await prepareItems({ folder: data, valFraction: 0.25 }, 3);
    assert.equal(v.data.train.sha256, dataHash(train), 'Python and TypeScript split and hash the same data alike');
    assert.equal(v.data.val.count, val.length);
    assert.equal(v.data.val.sha256, dataHash(val));
    const trainerLoss = v.metrics.trainer!.valLoss!;
    const appLoss = v.metrics.detector!.loss!;
    // PIL in training and sharp in the app decode and crop the same pixels: same loss.
    assert.ok(Math.abs(trainerLoss - appLoss) < 1e-3, `validation loss in PyTorch ${trainerLoss} vs the app ${appLoss}`);
    assert.equal(v.metrics.detector!.count, 8);
    assert.equal(v.baseline, null, 'a new model id has nothing to compare with');
    const manifest = JSON.parse(readFileSync(join(v.dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.version, 'r1');
    assert.equal(manifest.preprocessing.mode, 'center-crop');
    assert.equal(manifest.input.width, 32);
    assert.match(manifest.provenance.trainedOn, new RegExp(v.data.train.sha256));
    assert.ok(existsSync(join(v.dir, 'weights.pt')) && existsSync(join(v.dir, 'split.json')));

    // 4. Scored through the normal Detector path, then activated for the app.
    const model = await loadVersionModel(userModels, 'tiny-detector', 'r1');
    assert.equal(model.status, 'ok', model.problem);
    const detector = await Detector.open(model, { provider: 'cpu' });
    try {
      const images = await Promise.all([join(data, 'fake', 'fake-000.png'), join(data, 'real', 'real-000.png')].map(decodeFile));
      const scores = await detector.score(images);
      for (const s of scores) {
        assert.equal(s.modelId, 'tiny-detector');
        assert.equal(s.modelVersion, 'r1');
        assert.equal(s.modelSha256, v.sha256);
        assert.ok(s.score >= 0 && s.score <= 1);
      }
      assert.equal((await detector.features(images))[0].length, 128);
    } finally {
      await detector.close();
    }
    await activateVersion(userModels, 'tiny-detector', 'r1');
    const active = (await training.catalogue.entries()).find((e) => e.id === 'tiny-detector')?.model;
    assert.equal(active?.status, 'ok');
    assert.equal(active?.dir, v.dir);

    // 5. PyTorch's exported graph has the Gemm → Sigmoid head the in-process training rewrites.
    const head = await trainHead({ model: active!, data: { folder: data, valFraction: 0.25 }, userModelsDir: userModels, provider: 'cpu', seed: 3 });
    assert.equal(head.version.version, 'r2');
    assert.deepEqual(head.version.parent, { modelId: 'tiny-detector', version: 'r1', sha256: v.sha256 });
    assert.equal(head.verification.featuresMaxAbsDiff, 0);
    assert.ok(head.verification.ok, JSON.stringify(head.verification));
    assert.deepEqual(head.before, v.metrics.detector, 'the baseline is the active version, measured the same way on the same split');
  });

  test('the ELA variant, last-N fine-tuning, a plateau schedule and loader workers, compared with the bundled model it would replace', { timeout: 180_000 }, async (t) => {
    const found = await pythonForTests();
    if ('skip' in found) return t.skip(found.skip);
    if (!existsSync(join(data, 'real'))) await makeLabelledFolder(data, { perLabel: 16, size: 48, realNoise: 1, fakeNoise: 60 });
    const job: TrainingJobSpec = {
      ...tinyJob(),
      modelId: 'fixture-ela-cnn',
      task: 'manipulated',
      model: { arch: 'small_cnn', inputSize: 32, ela: { quality: 90, scale: 10 } },
      mode: 'last-n',
      lastN: 2,
      epochs: 2,
      schedule: { kind: 'plateau', patience: 1, factor: 0.5 },
      // Worker processes forked while the trainer listens on a stdin pipe (a deadlock once).
      numWorkers: 2,
    };
    const epochs: TrainingEvent[] = [];
    const result = await runTrainingJob(job, {
      workdir: join(runs, 'ela'),
      ...training,
      trainingRoot: runs,
      environment: found.env,
      provider: 'cpu',
      onEvent: (e) => e.type === 'epoch' && epochs.push(e),
    });
    assert.equal(result.status, 'completed', result.error);
    assert.equal(epochs.length, 2);
    const v = result.version!;
    assert.equal(v.version, 'r1');
    const manifest = JSON.parse(readFileSync(join(v.dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.task, 'manipulated');
    assert.equal(manifest.preprocessing.inputTransform, 'ela');
    assert.deepEqual([manifest.preprocessing.elaQuality, manifest.preprocessing.elaScale], [90, 10]);
    // The ELA image from PIL (training) and from sharp (the app) are the same bytes, so the
    // held-out loss agrees between PyTorch and the app's Detector path.
    assert.ok(Math.abs(v.metrics.trainer!.valLoss! - v.metrics.detector!.loss!) < 1e-3, `${v.metrics.trainer!.valLoss} vs ${v.metrics.detector!.loss}`);
    // The bundled fixture-ela-cnn is what this version would replace: measured on the same split.
    assert.deepEqual(v.baseline?.model, { modelId: 'fixture-ela-cnn', version: null, sha256: v.baseline?.model.sha256 });
    assert.equal(v.baseline!.metrics.count, v.metrics.detector!.count);
  });

  test('a trainer whose parent dies (its stdin pipe closes) checkpoints and stops instead of running on', { timeout: 180_000 }, async (t) => {
    const found = await pythonForTests();
    if ('skip' in found) return t.skip(found.skip);
    if (!existsSync(join(data, 'real'))) await makeLabelledFolder(data, { perLabel: 16, size: 48, realNoise: 1, fakeNoise: 60 });
    const jobPath = join(tmp, 'orphan-job.json');
    writeFileSync(jobPath, JSON.stringify({ ...tinyJob(), epochs: 50 }));
    const workdir = join(runs, 'orphan');
    const child = spawn(found.env.executable, [join(SCRIPTS_DIR, 'train.py'), '--job', jobPath, '--workdir', workdir, '--training-root', runs, '--parent-pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const events: TrainerEvent[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = parseTrainerLine(line);
      if (!e) return;
      events.push(e);
      if (e.type === 'step' && e.globalStep === 1) child.stdin!.end();
    });
    child.stderr!.resume();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 143);
    const cancelled = events.find((e) => e.type === 'cancelled');
    assert.ok(cancelled && cancelled.type === 'cancelled' && cancelled.epoch < 50, JSON.stringify(cancelled));
    assert.ok(existsSync(join(workdir, 'checkpoint.json')));
  });

  test('an invalid job fails with every problem named, before any training', async (t) => {
    const found = await pythonForTests();
    if ('skip' in found) return t.skip(found.skip);
    const job = { ...tinyJob(), epochs: 0, epoch: 3, model: { arch: 'vgg16' }, data: { folder: data, valFraction: 2 } } as unknown as TrainingJobSpec;
    const result = await runTrainingJob(job, { workdir: join(runs, 'bad'), ...training, trainingRoot: runs, environment: found.env });
    assert.equal(result.status, 'failed');
    assert.match(result.error!, /"epochs" must be an integer in 1\.\.1000/);
    assert.match(result.error!, /"model\.arch" must be one of "resnet50", "resnet18", "small_cnn"/);
    assert.match(result.error!, /"data\.valFraction" must be a number in 0\.01\.\.0\.9/);
    assert.match(result.error!, /unknown field "epoch"/);
  });

  test('resuming a work folder without a checkpoint is refused', async () => {
    const result = await runTrainingJob(tinyJob(), {
      workdir: join(runs, 'empty'),
      trainingRoot: runs,
      resume: true,
      ...training,
      environment: { found: true, command: 'python3', executable: 'python3', python: '3', torch: '0', torchvision: '0', onnx: null, device: { kind: 'cpu', name: 'CPU' }, probes: [] },
    });
    assert.equal(result.status, 'failed');
    assert.match(result.error!, /no checkpoint/);
  });
});
