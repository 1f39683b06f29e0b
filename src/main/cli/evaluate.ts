import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DatasetSummary, EvaluationResult } from '../../contract/evaluation';
import {
  DEFAULT_BOOTSTRAP,
  DEFAULT_ROBUSTNESS_LEVELS,
  DEFAULT_TARGET_FPR,
  DEFAULT_THRESHOLD,
  EvaluationCancelledError,
  evaluate,
  formatEvaluationMarkdown,
  formatLeakageText,
  guardrailWarnings,
  formatModelText,
  formatBaselineText,
  formatRobustnessText,
  scanDataset,
  selectEvaluationSet,
} from '../evaluation';
import type { RobustnessLevels } from '../../contract/evaluation';
import { checkLevels } from '../evaluation/perturb';
import { robustnessSvg } from '../evaluation/robustnessPlot';
import { DATABASE_FILE, DERIVED_DIR, ensureDerivedFolders, openCaseDatabase } from '../store';
import { saveEvaluation, saveSplit } from '../store/evaluations';
import type { CliContext } from './index';
import { describeHidden, describeOpened } from './models';
import { formatDuration, formatTable, ProgressLine } from './terminal';
import { parseCommandArgs, positiveInt, UsageError } from './usage';

const help = `provenance evaluate <dataset-folder|manifest.csv> [options]

Measures how far to trust a detector on a labelled dataset: accuracy, real and fake accuracy,
precision, recall, F1, average precision (as scikit-learn), ROC-AUC, the confusion matrix, and a
per-generator table with a mean row (the layout of Wang et al. 2020). The dataset layout is
detected and shown first:
  <generator>/[<category>/]0_real|1_fake/...   CNNDetection / ForenSynths
  Au/ + Tp/ [+ a ground-truth masks folder]     CASIA
  [<source>/]real|authentic  and  fake|manipulated|generated
  a CSV manifest with a header: path,label[,group][,source]
Images are only ever read.

Options:
  --models ID,ID        models to evaluate (default: every listed model); several are compared
                        side by side on the same images
  --threshold T         decision threshold: fake when score >= T (default: the model's own
                        calibrated threshold from its manifest when one model is evaluated,
                        else ${DEFAULT_THRESHOLD}); "manifest": each model at the threshold its
                        manifest was calibrated to
  --target-fpr F        also report the threshold reaching this false-positive rate (default ${DEFAULT_TARGET_FPR})
  --out FILE            full result as JSON: metrics, tables, curves, per-image scores, FP/FN lists
  --markdown FILE       the report as Markdown
  --robustness          re-evaluate under JPEG quality 100..30, blur sigma 0..3, downscale 1..0.5
  --robustness-levels S with --robustness: the levels, e.g. "jpeg=95,90,75,60,50;blur=0,1,2,3;downscale=1,0.5"
                        (a kind left out keeps its default)
  --robustness-plot F   with --robustness: also draw AP and accuracy per level as an SVG file
  --format-baseline     also score a classifier that sees only the file container (format, size,
                        JPEG quality) by grouped cross-validation: how much the set leaks
  --bootstrap N         replicates for 95% confidence intervals (default ${DEFAULT_BOOTSTRAP}; 0 = none)
  --limit N             evaluate a random sample of at most N images (seeded)
  --split-val R         group-aware split: evaluate only the validation share R (0 < R < 1);
                        the split is saved next to --out (or --markdown) as *.split.json
  --seed S              seed of the split, the sample and the bootstrap (default 1)
  --case DIR            also save the result (and the split) in this case folder
  --dry-run             show the detected layout and stop
  --concurrency N       images decoded in parallel (default: up to 4)
  --batch N             images per inference batch (default 16)
  --threads N           CPU threads per model session
  --quiet               no progress line

Exit code 0 when the evaluation ran, 1 when the dataset is missing, unreadable, empty or not
recognised (or no image could be read), 2 on wrong options, 130 when interrupted.`;

function fraction(value: string | undefined, name: string, fallback: number, open = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const ok = open ? n > 0 && n < 1 : n >= 0 && n <= 1;
  if (value.trim() === '' || !ok) throw new UsageError(`--${name} must be a number ${open ? 'between 0 and 1 (exclusive)' : 'from 0 to 1'}, got "${value}"`);
  return n;
}

function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number >= 0, got "${value}"`);
  return n;
}

/** The detected layout as the user sees it before anything is evaluated. */
export function formatDatasetSummary(s: DatasetSummary): string {
  const lines = [`dataset  ${s.root}`, `layout   ${s.layoutName}`];
  if (s.layout !== null) {
    lines.push(
      `images   ${s.total}: ${s.real} real, ${s.fake} fake; ${s.sources.length} generator(s)/source(s); ${s.groups} group(s), largest ${s.largestGroup}` +
        (s.masks > 0 ? `; ${s.masks} mask(s)` : ''),
      `groups   ${s.grouping}`,
    );
    if (s.sources.length > 0) lines.push('', formatTable(['generator/source', 'real', 'fake'], s.sources.map((x) => [x.name, x.real, x.fake])));
    const examples = (label: 0 | 1) => s.examples.filter((e) => e.label === label).map((e) => e.path).join(', ');
    if (s.examples.length > 0) lines.push('', `e.g. real: ${examples(0) || '-'}`, `     fake: ${examples(1) || '-'}`);
  }
  for (const p of s.problems) lines.push(`${p.severity === 'error' ? 'error' : 'warning'}: ${p.message}`);
  return lines.join('\n');
}

/** "jpeg=95,90;blur=0,1;downscale=1,0.5" → levels; kinds left out keep their defaults. */
export function parseRobustnessLevels(spec: string): RobustnessLevels {
  const levels: RobustnessLevels = { jpeg: [...DEFAULT_ROBUSTNESS_LEVELS.jpeg], blur: [...DEFAULT_ROBUSTNESS_LEVELS.blur], downscale: [...DEFAULT_ROBUSTNESS_LEVELS.downscale] };
  for (const part of spec.split(';').map((p) => p.trim()).filter(Boolean)) {
    const [kind, list] = part.split('=');
    if (kind !== 'jpeg' && kind !== 'blur' && kind !== 'downscale') throw new UsageError(`--robustness-levels: unknown perturbation "${kind}" (jpeg, blur, downscale)`);
    const values = (list ?? '').split(',').map((v) => Number(v.trim()));
    if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new UsageError(`--robustness-levels: "${part}" must be ${kind}=number,number,...`);
    levels[kind] = values;
  }
  try {
    return checkLevels(levels);
  } catch (err) {
    throw new UsageError(`--robustness-levels: ${(err as Error).message}`);
  }
}

function splitFileFor(out: string | undefined, markdown: string | undefined): string | undefined {
  const base = out ?? markdown;
  return base ? `${base.replace(/\.(json|md|markdown)$/i, '')}.split.json` : undefined;
}

function caseThumbnailDir(caseDir: string): string {
  return ensureDerivedFolders(join(caseDir, DERIVED_DIR)).thumbnailDir;
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

async function run(args: string[], { config, catalogue }: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    models: { type: 'string' },
    threshold: { type: 'string' },
    'target-fpr': { type: 'string' },
    out: { type: 'string' },
    markdown: { type: 'string' },
    robustness: { type: 'boolean' },
    'format-baseline': { type: 'boolean' },
    'robustness-plot': { type: 'string' },
    'robustness-levels': { type: 'string' },
    bootstrap: { type: 'string' },
    limit: { type: 'string' },
    'split-val': { type: 'string' },
    seed: { type: 'string' },
    case: { type: 'string' },
    'dry-run': { type: 'boolean' },
    concurrency: { type: 'string' },
    batch: { type: 'string' },
    threads: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('Give exactly one dataset folder or CSV manifest.');
  const manifestThresholds = values.threshold === 'manifest';
  const givenThreshold = values.threshold === undefined || manifestThresholds ? undefined : fraction(values.threshold, 'threshold', DEFAULT_THRESHOLD);
  const targetFpr = fraction(values['target-fpr'], 'target-fpr', DEFAULT_TARGET_FPR);
  const valRatio = values['split-val'] === undefined ? undefined : fraction(values['split-val'], 'split-val', 0, true);
  const seed = wholeNumber(values.seed, 'seed', 1);
  const bootstrap = wholeNumber(values.bootstrap, 'bootstrap', DEFAULT_BOOTSTRAP);
  const limit = values.limit === undefined ? undefined : positiveInt(values.limit, 'limit', 1);
  const out = values.out ? resolve(values.out) : undefined;
  const markdown = values.markdown ? resolve(values.markdown) : undefined;
  const plot = values['robustness-plot'] ? resolve(values['robustness-plot']) : undefined;
  if (plot && !values.robustness) throw new UsageError('--robustness-plot needs --robustness');
  if (values['robustness-levels'] && !values.robustness) throw new UsageError('--robustness-levels needs --robustness');
  const levels = values['robustness-levels'] ? parseRobustnessLevels(values['robustness-levels']) : undefined;
  const caseDir = values.case ? resolve(values.case) : undefined;
  if (caseDir && !existsSync(join(caseDir, DATABASE_FILE))) {
    throw new UsageError(`--case ${caseDir} holds no case: create it first (provenance import ${values.case} <files> --name NAME).`);
  }

  if (values['dry-run']) {
    const scanned = await scanDataset(positionals[0]);
    console.log(formatDatasetSummary(scanned.summary));
    if (scanned.failure) console.error(`\nprovenance evaluate: cannot evaluate this dataset: ${scanned.failure.message}`);
    return scanned.failure ? 1 : 0;
  }
  const selected = await selectEvaluationSet(positionals[0], { valRatio, limit, seed });
  console.log(formatDatasetSummary(selected.summary));
  if (!selected.ok) {
    console.error(`\nprovenance evaluate: cannot evaluate this dataset: ${selected.error.message}`);
    return 1;
  }
  const { set, split } = selected;
  if (split) {
    const s = split.summary;
    console.log(
      `\nsplit    group-aware, seed ${seed}: train ${s.train.items} (${s.train.real} real, ${s.train.fake} fake, ${s.train.groups} groups), ` +
        `validation ${s.val.items} (${s.val.real} real, ${s.val.fake} fake, ${s.val.groups} groups) = ${(s.achievedValRatio * 100).toFixed(1)}% (asked ${valRatio! * 100}%); evaluating validation only`,
    );
  }
  if (selected.sampled) console.log(`sample   ${set.items.length} images chosen at random (seed ${seed})`);

  const { detectors, skipped, hidden } = await catalogue.openDetectors({
    ids: values.models?.split(',').map((s) => s.trim()).filter(Boolean),
    threads: values.threads ? positiveInt(values.threads, 'threads', 1) : undefined,
  });
  if (detectors.length === 0) {
    for (const m of skipped) console.error(`warning: model ${m.id} skipped: ${m.problem}`);
    console.error(`provenance evaluate: no usable model (see "provenance models")${hidden.length ? ` ${describeHidden(hidden)}` : ''}`);
    return 1;
  }
  console.error(describeOpened(detectors, skipped, config.provider));
  // One model: its operating point (the manifest's threshold, calibrated on validation) unless
  // another is asked for; several models share one threshold, so the neutral default.
  const threshold = givenThreshold ?? (detectors.length === 1 ? detectors[0].model.manifest.defaultThreshold : DEFAULT_THRESHOLD);
  if (manifestThresholds) console.error('each model at its manifest threshold');
  else if (givenThreshold === undefined) {
    console.error(detectors.length === 1 ? `threshold ${threshold} (the model's manifest threshold)` : `threshold ${threshold} for every model (give --threshold to choose another)`);
  }

  const bar = values.quiet ? undefined : new ProgressLine(process.stderr, 'evaluating');
  const controller = new AbortController();
  const onSignal = () => {
    console.error('\ninterrupted: finishing images in flight, then stopping');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: EvaluationResult;
  try {
    result = await evaluate(set, detectors, {
      threshold,
      manifestThresholds,
      formatBaseline: values['format-baseline'] ?? false,
      targetFpr,
      bootstrap,
      seed,
      robustness: levels ?? values.robustness ?? false,
      // Evaluating into a case: gallery thumbnails go where the case keeps its other ones.
      thumbnailDir: caseDir ? caseThumbnailDir(caseDir) : undefined,
      ingest: { maxPixels: config.maxPixels, maxFileBytes: config.maxFileBytes },
      selection: { split: split?.summary ?? null, limit: limit ?? null, seed },
      concurrency: values.concurrency ? positiveInt(values.concurrency, 'concurrency', 1) : undefined,
      batchSize: positiveInt(values.batch, 'batch', 16),
      signal: controller.signal,
      onProgress: (p) => bar?.update(p),
    });
  } catch (err) {
    if (err instanceof EvaluationCancelledError) {
      console.error(`provenance evaluate: ${err.message}`);
      return 130;
    }
    throw err;
  } finally {
    bar?.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(detectors.map((d) => d.close()));
  }

  for (const w of guardrailWarnings(result)) console.log(`\nWARNING ${w}`);
  const leakage = formatLeakageText(result);
  if (leakage.length) console.log(`\n${leakage.join('\n')}`);
  for (const [i, model] of result.models.entries()) console.log(`\n${formatModelText(model, result.perModel[i])}`);
  if (result.robustness) console.log(`\n${formatRobustnessText(result.robustness, result.models)}`);
  if (result.formatBaseline) console.log(`\n${formatBaselineText(result.formatBaseline)}`);
  if (result.unreadable.length > 0) {
    console.log(`\n${result.unreadable.length} unreadable image(s), left out of every metric:`);
    for (const u of result.unreadable.slice(0, 10)) console.log(`  ${u.path}: ${u.code} ${u.message}`);
    if (result.unreadable.length > 10) console.log(`  … and ${result.unreadable.length - 10} more${out ? ` (see ${out})` : ''}`);
  }

  if (out) writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  if (markdown) writeFile(markdown, `${formatEvaluationMarkdown(result)}\n`);
  if (plot && result.robustness) writeFile(plot, robustnessSvg(result.robustness, result.models, `Robustness on ${selected.summary.root.split('/').pop()}`));
  const splitFile = split ? splitFileFor(out, markdown) : undefined;
  if (split && splitFile) writeFile(splitFile, `${JSON.stringify(split.record, null, 2)}\n`);
  if (split && !splitFile && !caseDir) console.error('note: the split was not saved; give --out, --markdown or --case to keep it');
  if (caseDir) {
    const store = openCaseDatabase(caseDir);
    try {
      const splitId = split ? saveSplit(store, split.record).id : undefined;
      saveEvaluation(store, result, { splitId });
      console.log(`saved evaluation ${result.id} in the case at ${caseDir}${splitId !== undefined ? ` (split ${splitId})` : ''}`);
    } finally {
      store.close();
    }
  }
  for (const [path, what] of [[out, 'result'], [markdown, 'report'], [splitFile, 'split'], [plot, 'robustness plot']] as const) if (path) console.log(`${what} written to ${path}`);

  const t = result.throughput;
  const providers = [...new Set(Object.values(t.providers))].join(', ');
  console.log(
    `\nthroughput: ${t.images} images in ${t.seconds < 60 ? `${t.seconds.toFixed(1)} s` : formatDuration(t.seconds)} = ${t.imagesPerSecond.toFixed(1)} images/s on ${providers}` +
      (t.passesPerImage > 1 ? `, ${t.passesPerImage} scoring passes per image` : ''),
  );
  return 0;
}

export const evaluateCommand = { run, help };
