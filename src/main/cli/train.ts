import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { HeadTrainingEvent, ModelVersion, TrainingEvent, TrainingJobSpec, ValidationMetrics } from '../../contract/training';
import { ModelUnavailableError } from '../inference';
import { describeProbes, findPython, pythonSettings, runTrainingJob, trainHead } from '../training';
import type { CliContext } from './index';
import { formatDuration, formatTable, ProgressLine } from './terminal';
import { parseCommandArgs, UsageError } from './usage';

const help = `provenance train --job job.json [options]          train with the Python backend
provenance train --head --model ID --data FOLDER [options]   retrain only the head, no Python
provenance train --env                                      show which Python would train

A finished model is registered as a new VERSION of its model id (see "provenance versions"),
measured against the model it would replace on the same held-out images, and left inactive:
"provenance versions activate ID VERSION" makes the app use it.

Python training (resources/training/train.py, PyTorch):
  --job FILE            training job (JSON, see src/contract/training.ts TrainingJobSpec)
  --workdir NAME        the run's folder inside the training folder, which holds its
                        checkpoints, split and outputs (default: the job file's name)
  --runs-dir DIR        the training folder (default: the configured one, trainingDir in the
                        settings or $PROVENANCE_TRAINING_RUNS_DIR, else
                        "training-runs" in the app's state folder); work folders anywhere
                        else are refused, by this command and by the trainer
  --resume              continue from the last checkpoint in --workdir
  (--python PATH, the "python" setting or $PROVENANCE_PYTHON name the interpreter; else
  /usr/bin/python3, python3, python are tried. --verbose shows the trainer's own messages.)
Ctrl+C stops after the current step with a checkpoint; run again with --resume.

Head training (in-process: embeddings of the model's features output + logistic regression):
  --head                select this mode
  --model ID[@VERSION]  starting model (default version: the active one, else the bundled one)
  --data FOLDER         labelled images under real/ and fake/ (subfolders = groups)
  --val-fraction F      share held out for validation (default 0.2)
  --seed N              split seed (default 0)
  --l2 X                L2 strength on standardised features (default 0.001)
  --id ID               register under another model id (default: the starting model's)
  (--ep PROVIDER chooses where the embeddings and the held-out checks run.)

Common:
  --json                print the result as JSON
  --quiet               no progress line`;

function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? '--' : `${(100 * v).toFixed(1)}%`;
}

function metricRows(label: string, m: ValidationMetrics | null | undefined): (string | number)[] {
  return [label, m ? m.count : '--', percent(m?.accuracy), m?.averagePrecision == null ? '--' : m.averagePrecision.toFixed(3), m?.loss == null ? '--' : m.loss.toFixed(4)];
}

function comparison(version: ModelVersion): string {
  const rows = [metricRows(`${version.modelId} ${version.version} (new)`, version.metrics.detector)];
  if (version.baseline) rows.push(metricRows(`${version.baseline.model.modelId} ${version.baseline.model.version ?? '(bundled)'}`, version.baseline.metrics));
  return formatTable(['model on the validation split', 'images', 'accuracy', 'AP', 'loss'], rows);
}

async function showEnvironment(cli: CliContext, json: boolean): Promise<number> {
  const env = await findPython({ ...pythonSettings(cli.config), fresh: true });
  if (json) {
    console.log(JSON.stringify(env, null, 2));
    return env.found ? 0 : 1;
  }
  console.log(describeProbes(env.probes));
  if (env.found) console.log(`\nusing ${env.executable}: Python ${env.python}, torch ${env.torch}, torchvision ${env.torchvision}, onnx ${env.onnx ?? 'not installed'}; device ${env.device.kind} (${env.device.name})`);
  else console.log(`\n${env.install}`);
  return env.found ? 0 : 1;
}

function stopOnSignal(controller: AbortController, message: string): () => void {
  const onSignal = () => {
    console.error(`\n${message}`);
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

async function trainWithPython(values: Record<string, string | boolean | undefined>, { config, catalogue, log: logger }: CliContext): Promise<number> {
  const jobPath = resolve(String(values.job));
  let job: TrainingJobSpec;
  try {
    job = JSON.parse(readFileSync(jobPath, 'utf8')) as TrainingJobSpec;
  } catch (err) {
    throw new UsageError(`Cannot read the job file ${jobPath}: ${(err as Error).message}`);
  }
  // Relative data paths in a job file mean relative to the job file, not to the shell.
  if (job.data?.folder) job.data.folder = resolve(dirname(jobPath), job.data.folder);
  if (job.data?.items) job.data.items = job.data.items.map((it) => ({ ...it, path: resolve(dirname(jobPath), it.path) }));
  if (job.data?.prepare) job.data.prepare = { ...job.data.prepare, sharedDir: resolve(dirname(jobPath), job.data.prepare.sharedDir) };
  // Weight files too (a job in resources/training/jobs names ../shared/weights/... relative to itself).
  for (const key of ['backboneWeights', 'initWeights'] as const) {
    const file = job.model?.[key];
    if (typeof file === 'string') job.model[key] = resolve(dirname(jobPath), file);
  }
  const trainingRoot = typeof values['runs-dir'] === 'string' ? resolve(values['runs-dir']) : config.trainingDir;
  // A bare name is a folder in the training folder; a path must lead there (runTrainingJob checks).
  const workdir = resolve(trainingRoot, typeof values.workdir === 'string' ? values.workdir : basename(jobPath, '.json'));

  const bar = values.quiet || values.json ? undefined : new ProgressLine(process.stderr, 'training');
  const controller = new AbortController();
  const release = stopOnSignal(controller, 'interrupted: the trainer is writing a checkpoint (run again with --resume to continue)');
  const log = (line: string) => {
    if (values.json) return;
    bar?.end();
    console.error(line);
  };
  const onEvent = (e: TrainingEvent) => {
    if (e.type === 'start') log(`trainer: Python ${e.python}, torch ${e.torch} on ${e.device.kind} (${e.device.name})${e.resumed ? ', resuming' : ''}`);
    else if (e.type === 'data') {
      log(`data: ${e.train.count} training images (${e.train.real} real, ${e.train.fake} fake), ${e.val.count} validation (${e.val.real} real, ${e.val.fake} fake)${e.test ? `, ${e.test.count} test (${e.test.real} real, ${e.test.fake} fake)` : ''}${e.preparedDir ? ` in ${e.preparedDir}` : ''}`);
      for (const w of e.warnings) log(`  ! ${w}`);
    } else if (e.type === 'epoch') {
      log(`epoch ${e.epoch}/${e.epochs}: train loss ${e.trainLoss.toFixed(4)} acc ${percent(e.trainAcc)} | val loss ${e.valLoss.toFixed(4)} acc ${percent(e.valAcc)} AP ${e.valAp === null ? '--' : e.valAp.toFixed(3)}${e.best ? '  (best)' : ''}  ${formatDuration(e.seconds)}`);
    } else if (e.type === 'earlyStop') log(`early stop: no better ${e.metric} for ${e.patience} epochs; keeping epoch ${e.bestEpoch}`);
    else if (e.type === 'prepare') log(`data: ${e.message}`);
    else if (e.type === 'evaluation') {
      log(`threshold ${e.threshold.toFixed(4)}: ${e.rule}; validation FPR ${percent(e.validation.fpr)}, FNR ${percent(e.validation.fnr)}`);
      if (e.test) log(`test (${e.test.n} images): accuracy ${percent(e.test.accuracy)}, precision ${percent(e.test.precision)}, recall ${percent(e.test.recall)}, F1 ${percent(e.test.f1)}, AP ${e.test.ap === null ? '--' : e.test.ap.toFixed(3)}; ${e.file}`);
    } else if (e.type === 'parity') log(`ONNX check with onnxruntime: max |difference| ${e.maxAbsDiff.toExponential(2)} (${e.ok ? 'ok' : 'FAILED'})`);
    else if (e.type === 'log' && e.stream === 'stderr') logger.debug(`trainer: ${e.line}`);
  };

  let result;
  try {
    result = await runTrainingJob(job, {
      workdir,
      trainingRoot,
      resume: Boolean(values.resume),
      python: config.python,
      scriptsDir: config.trainingScriptsDir,
      userModelsDir: config.userModelsDir,
      catalogue,
      signal: controller.signal,
      onEvent,
      onProgress: (p) => bar?.update(p),
    });
  } finally {
    bar?.end();
    release();
  }
  if (values.json) console.log(JSON.stringify(result, null, 2));
  if (result.status === 'cancelled') {
    if (!values.json) console.error(`cancelled; checkpoint in ${workdir}. Continue with: provenance train --job ${values.job} --workdir ${workdir} --resume`);
    return 130;
  }
  if (result.status === 'failed') {
    if (!values.json) console.error(`training failed: ${result.error}`);
    return 1;
  }
  if (!values.json && result.version) {
    console.log(`registered ${result.version.modelId} ${result.version.version} (inactive) in ${result.version.dir}\n`);
    console.log(comparison(result.version));
    console.log(`\nuse it: provenance versions activate ${result.version.modelId} ${result.version.version}`);
  }
  return 0;
}

async function trainHeadCommand(values: Record<string, string | boolean | undefined>, { config, catalogue }: CliContext): Promise<number> {
  if (typeof values.model !== 'string') throw new UsageError('--head needs --model ID (see "provenance models").');
  if (typeof values.data !== 'string') throw new UsageError('--head needs --data FOLDER (labelled images under real/ and fake/).');
  const valFraction = values['val-fraction'] === undefined ? 0.2 : Number(values['val-fraction']);
  if (!(valFraction > 0 && valFraction < 1)) throw new UsageError('--val-fraction must be between 0 and 1');
  const l2 = values.l2 === undefined ? 1e-3 : Number(values.l2);
  if (!(l2 >= 0)) throw new UsageError('--l2 must be a number >= 0');
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number >= 0, got "${values.seed}"`);
  const [id, version] = values.model.split('@');
  let model;
  try {
    model = await catalogue.find(id, version);
  } catch (err) {
    if (err instanceof ModelUnavailableError && err.reason === 'unknown') throw new UsageError(err.message);
    throw err;
  }

  const bar = values.quiet || values.json ? undefined : new ProgressLine(process.stderr, 'embedding');
  const controller = new AbortController();
  const release = stopOnSignal(controller, 'interrupted: stopping');
  const onEvent = (e: HeadTrainingEvent) => {
    if (e.type === 'stage' && !values.json && e.stage !== 'embed') {
      bar?.end();
      console.error(e.message);
    }
  };
  let result;
  try {
    result = await trainHead({
      model,
      data: { folder: resolve(values.data), valFraction, splitSeed: seed },
      userModelsDir: config.userModelsDir,
      modelId: typeof values.id === 'string' ? values.id : undefined,
      l2,
      seed,
      provider: config.provider,
      signal: controller.signal,
      onProgress: (p) => bar?.update(p),
      onEvent,
    });
  } finally {
    bar?.end();
    release();
  }
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  console.log(`registered ${result.version.modelId} ${result.version.version} (inactive) in ${formatDuration(result.seconds)}; train accuracy ${percent(result.trainAccuracy)}, ${result.fit.iterations} L-BFGS iterations\n`);
  console.log(comparison(result.version));
  console.log(`\nuse it: provenance versions activate ${result.version.modelId} ${result.version.version}`);
  return 0;
}

async function run(args: string[], cli: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    job: { type: 'string' },
    workdir: { type: 'string' },
    'runs-dir': { type: 'string' },
    resume: { type: 'boolean' },
    head: { type: 'boolean' },
    model: { type: 'string' },
    data: { type: 'string' },
    'val-fraction': { type: 'string' },
    seed: { type: 'string' },
    l2: { type: 'string' },
    id: { type: 'string' },
    env: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (values.env) return showEnvironment(cli, Boolean(values.json));
  if (values.head) return trainHeadCommand(values, cli);
  if (!values.job) throw new UsageError('Give --job job.json (Python training), --head (in-process head training) or --env.');
  return trainWithPython(values, cli);
}

export const trainCommand = { run, help };
