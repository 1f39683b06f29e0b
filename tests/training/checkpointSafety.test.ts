// Resuming training never unpickles what is in a work folder (issue 11, finding 2): a pickle
// planted as the checkpoint is refused and its code never runs, through the real CLI; and work
// folders outside the app's training folder are refused before Python starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { TrainingJobSpec } from '../../src/contract/training';
import { runTrainerProcess } from '../../src/main/training/trainerProcess';
import { runTrainingJob } from '../../src/main/training/trainingJob';
import { runCli } from '../cli/run';
import { SCRIPTS_DIR, testCatalogue } from '../config';
import { makeLabelledFolder, pythonForTests } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-ckpt-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const runs = join(tmp, 'runs');
mkdirSync(runs, { recursive: true });
const data = join(tmp, 'data');

const job = (): TrainingJobSpec => ({
  version: 1,
  modelId: 'ckpt-test',
  data: { folder: data, valFraction: 0.25 },
  model: { arch: 'small_cnn', inputSize: 16 },
  epochs: 2,
  batchSize: 4,
  earlyStopping: { patience: 0 },
  device: 'cpu',
});

/** Where versions go, the trainer's scripts and the models in use, as the app passes them. */
const training = { userModelsDir: join(tmp, 'models'), scriptsDir: SCRIPTS_DIR, catalogue: testCatalogue({ userModelsDir: join(tmp, 'models') }) };
const fakeEnv = { found: true as const, command: 'python3', executable: 'python3', python: '3', torch: '2', torchvision: '0', onnx: null, device: { kind: 'cpu' as const, name: 'CPU' }, probes: [] };

describe('training work folders and checkpoints', () => {
  test('a work folder outside the training folder, or reached through a link out of it, is refused', async () => {
    const outside = await runTrainingJob(job(), { workdir: join(tmp, 'elsewhere'), trainingRoot: runs, ...training, environment: fakeEnv });
    assert.equal(outside.status, 'failed');
    assert.match(outside.error!, /is outside the app's training folder/);
    mkdirSync(join(tmp, 'target'), { recursive: true });
    symlinkSync(join(tmp, 'target'), join(runs, 'link'));
    const linked = await runTrainingJob(job(), { workdir: join(runs, 'link', 'run'), trainingRoot: runs, ...training, environment: fakeEnv });
    assert.equal(linked.status, 'failed');
    assert.match(linked.error!, /really .*target/);
    assert.ok(!existsSync(join(tmp, 'target', 'run')), 'nothing was created behind the link');
    const cli = runCli(['train', '--job', join(tmp, 'job.json'), '--runs-dir', runs, '--workdir', join(tmp, 'elsewhere')]);
    assert.notEqual(cli.status, 0);
  });

  test('resume refuses a planted pickle checkpoint and never runs it', { timeout: 300_000 }, async (t) => {
    const found = await pythonForTests();
    if ('skip' in found) return t.skip(found.skip);
    await makeLabelledFolder(data, { perLabel: 8, size: 24, realNoise: 1, fakeNoise: 60 });
    const jobPath = join(tmp, 'job.json');
    writeFileSync(jobPath, JSON.stringify(job()));
    const workdir = join(runs, 'victim');
    const first = await runTrainerProcess({ python: found.env.executable, script: 'train.py', scriptsDir: SCRIPTS_DIR, args: ['--job', jobPath, '--workdir', workdir, '--training-root', runs, '--no-export'] });
    assert.equal(first.code, 0, first.stderrTail.join('\n'));
    const sidecarPath = join(workdir, 'checkpoint.json');
    const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8'));

    // Someone with access to the folder swaps in a pickle that runs a command, and makes the
    // sidecar's SHA-256 match it.
    const marker = join(tmp, 'PWNED');
    const planted = join(workdir, sidecar.file);
    const make = spawnSync(
      found.env.executable,
      [
        '-c',
        [
          'import os, sys, torch, hashlib, json',
          'class Evil:',
          '    def __reduce__(self): return (os.system, ("touch " + sys.argv[2],))',
          'torch.save({"model.head.weight": torch.zeros(1), "x": Evil()}, sys.argv[1])',
          'sc = json.load(open(sys.argv[3])); sc["sha256"] = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()',
          'json.dump(sc, open(sys.argv[3], "w"))',
        ].join('\n'),
        planted,
        marker,
        sidecarPath,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(make.status, 0, make.stderr);
    // A bare legacy checkpoint.pt next to it is no way in either.
    spawnSync(found.env.executable, ['-c', `import shutil; shutil.copy(${JSON.stringify(planted)}, ${JSON.stringify(join(workdir, 'checkpoint.pt'))})`]);

    const resumed = runCli(['train', '--job', jobPath, '--runs-dir', runs, '--workdir', 'victim', '--resume', '--user-models', join(tmp, 'models'), '--json']);
    assert.equal(resumed.status, 1, resumed.stderr);
    const result = JSON.parse(resumed.stdout);
    assert.equal(result.status, 'failed');
    assert.match(result.error, /holds something besides tensors and was NOT loaded/);
    assert.ok(!existsSync(marker), 'the planted pickle ran');

    // With only the legacy file (no sidecar), resume says why it will not load it.
    rmSync(sidecarPath);
    const legacy = runCli(['train', '--job', jobPath, '--runs-dir', runs, '--workdir', 'victim', '--resume', '--user-models', join(tmp, 'models'), '--json']);
    assert.equal(legacy.status, 1);
    assert.match(JSON.parse(legacy.stdout).error, /no checkpoint \(checkpoint\.json\)/);
    assert.ok(!existsSync(marker));
  });
});
