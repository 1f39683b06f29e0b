// Evaluates detectors on a labelled set: every image read and decoded once, scored by every
// detector (and, for the robustness sweep, under each perturbation level), then metrics, tables,
// curves and FP/FN picks per model, all in one JSON result. Two detectors on the same set give
// one result with both, computed on the same images, for a side-by-side comparison.
import { randomUUID } from 'node:crypto';
import type {
  EvaluatedItem,
  EvaluatedModel,
  EvaluationResult,
  Label,
  Perturbation,
  RobustnessCurve,
  RobustnessLevels,
  RobustnessResult,
  SplitSummary,
  UnreadableItem,
} from '../../contract/evaluation';
import type { Detector } from '../inference';
import { SOFTWARE_VERSION } from '../version';
import { DatasetError, type LabelledSet } from './dataset';
import { datasetTask } from './dataset/summary';
import { evaluationGuardrails } from './guardrails';
import { averagePrecision, oneClassNote, thresholdMetrics } from '../../shared/metrics';
import { formatBaseline } from './formatBaseline';
import { localizationMetrics } from './localization';
import { evaluateModel, type ScoredItem } from './modelEvaluation';
import { checkLevels, DEFAULT_ROBUSTNESS_LEVELS, isIdentity, PERTURBATION_PARAMETER, perturbationsOf } from './perturb';
import { scoreItems, type ItemOutcome, type ScoringOptions } from './scoring';

export interface EvaluateOptions extends ScoringOptions {
  /** Predicted fake when score ≥ threshold (default 0.5). */
  threshold?: number;
  /** False-positive rate whose threshold is reported (default 0.05). */
  targetFpr?: number;
  /** Bootstrap replicates for the 95% intervals; 0 turns them off (default 1000). */
  bootstrap?: number;
  /** Seed of the bootstrap (default 1); record the split and sample seeds in `selection`. */
  seed?: number;
  /** true: the default levels; or the levels to sweep. */
  robustness?: boolean | RobustnessLevels;
  /** Each model at its own manifest threshold (defaultThreshold) instead of `threshold`. */
  manifestThresholds?: boolean;
  /** Also measure the format-only leakage baseline on the evaluated images. */
  formatBaseline?: boolean;
  /** Most points per ROC/PR curve in the result (default 200); metrics use every point. */
  curvePoints?: number;
  /** How `set.items` was chosen from the dataset, recorded in the result. */
  selection?: { split?: SplitSummary | null; limit?: number | null; seed?: number };
  now?: () => Date;
}

export const DEFAULT_THRESHOLD = 0.5;
export const DEFAULT_TARGET_FPR = 0.05;
export const DEFAULT_BOOTSTRAP = 1000;
export const DEFAULT_CURVE_POINTS = 200;

function describeModel(d: Detector): EvaluatedModel {
  const m = d.model.manifest;
  return {
    id: m.id,
    name: m.name,
    version: m.version,
    sha256: m.sha256,
    provider: d.provider,
    task: m.task,
    fixture: m.fixture,
    defaultThreshold: m.defaultThreshold,
  };
}

function checkOptions(opts: EvaluateOptions): void {
  const { threshold, targetFpr, bootstrap, curvePoints } = opts;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in 0..1, got ${threshold}`);
  if (targetFpr !== undefined && !(targetFpr >= 0 && targetFpr <= 1)) throw new RangeError(`target false-positive rate must be in 0..1, got ${targetFpr}`);
  if (bootstrap !== undefined && !(Number.isInteger(bootstrap) && bootstrap >= 0)) throw new RangeError(`bootstrap replicates must be a whole number ≥ 0, got ${bootstrap}`);
  if (curvePoints !== undefined && !(Number.isInteger(curvePoints) && curvePoints >= 2)) throw new RangeError(`curvePoints must be a whole number ≥ 2, got ${curvePoints}`);
}

function robustnessLevels(option: EvaluateOptions['robustness']): RobustnessLevels | null {
  if (!option) return null;
  return checkLevels(option === true ? { ...DEFAULT_ROBUSTNESS_LEVELS } : option);
}

/** AP and accuracy per level, per model; identity levels reuse the clean scores. */
function robustnessCurves(
  levels: RobustnessLevels,
  computed: readonly Perturbation[],
  readable: readonly { label: Label; outcome: ItemOutcome }[],
  models: readonly EvaluatedModel[],
  thresholdOf: (model: EvaluatedModel) => number,
): RobustnessCurve[] {
  const curves: RobustnessCurve[] = [];
  models.forEach((model, d) => {
    for (const kind of ['jpeg', 'blur', 'downscale'] as const) {
      const points = levels[kind].map((value) => {
        const p: Perturbation = { kind, value };
        const at = computed.findIndex((c) => c.kind === kind && c.value === value);
        const pairs = readable
          .map((r) => ({ label: r.label, score: isIdentity(p) ? r.outcome.clean[d] : r.outcome.perturbed[at][d] }))
          .filter((s): s is { label: Label; score: number } => s.score !== null);
        if (pairs.length === 0) return { value, ap: null, accuracy: null, n: 0, notes: ['no image could be scored at this level'] };
        const labels = pairs.map((s) => s.label);
        const scores = pairs.map((s) => s.score);
        const m = thresholdMetrics(labels, scores, thresholdOf(model));
        const note = oneClassNote(m.real, m.fake);
        return { value, ap: averagePrecision(labels, scores), accuracy: m.accuracy, n: m.n, notes: note ? [note] : [] };
      });
      curves.push({ modelId: model.id, kind, parameter: PERTURBATION_PARAMETER[kind], points });
    }
  });
  return curves;
}

export async function evaluate(set: LabelledSet, detectors: readonly Detector[], opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  if (detectors.length === 0) throw new Error('no model to evaluate: give at least one detector');
  if (set.items.length === 0) throw new DatasetError('EMPTY', `nothing to evaluate: the selection from ${set.root} holds no images`, set.summary);
  checkOptions(opts);
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const targetFpr = opts.targetFpr ?? DEFAULT_TARGET_FPR;
  const seed = opts.seed ?? 1;
  const replicates = opts.bootstrap ?? DEFAULT_BOOTSTRAP;
  const levels = robustnessLevels(opts.robustness);
  // Identity levels (σ 0, factor 1) are the clean pass: no need to score them again.
  const computed = levels ? perturbationsOf(levels).filter((p) => !isIdentity(p)) : [];
  const models = detectors.map(describeModel);

  const { outcomes, seconds } = await scoreItems(set.items.map((i) => i.path), detectors, computed, opts);

  const items: EvaluatedItem[] = [];
  const unreadable: UnreadableItem[] = [];
  const readable: { label: Label; outcome: ItemOutcome }[] = [];
  set.items.forEach((item, i) => {
    const o = outcomes[i];
    if (o.error) {
      unreadable.push({ path: item.path, label: item.label, source: item.source, code: o.error.code, message: o.error.message });
      return;
    }
    const evaluated: EvaluatedItem = {
      path: item.path,
      label: item.label,
      source: item.source,
      group: item.group,
      sha256: o.sha256!,
      scores: Object.fromEntries(models.map((m, d) => [m.id, o.clean[d]])),
    };
    if (item.maskPath) evaluated.maskPath = item.maskPath;
    if (o.file) evaluated.file = o.file;
    items.push(evaluated);
    readable.push({ label: item.label, outcome: o });
  });
  if (items.length === 0) {
    const examples = unreadable.slice(0, 3).map((u) => `${u.path}: ${u.message}`).join('; ');
    throw new DatasetError('EMPTY', `none of the ${unreadable.length} images could be read (${examples})`, set.summary);
  }

  const bootstrap = replicates > 0 ? { replicates, seed } : null;
  const thresholdOf = (model: EvaluatedModel) => (opts.manifestThresholds ? model.defaultThreshold : threshold);
  const perModel = models.map((model, d) => {
    const scored: ScoredItem[] = [];
    const unscored: { path: string; message: string }[] = [];
    items.forEach((item, k) => {
      const score = item.scores[model.id];
      if (score === null) unscored.push({ path: item.path, message: readable[k].outcome.failures[d] ?? 'no score' });
      else scored.push({ item: k, path: item.path, label: item.label, source: item.source, score });
    });
    return evaluateModel(model.id, scored, unscored, { threshold: thresholdOf(model), targetFpr, bootstrap, curvePoints: opts.curvePoints ?? DEFAULT_CURVE_POINTS });
  });
  // Localisation models: heatmaps against the masks the dataset provides.
  for (const [d, model] of models.entries()) {
    const localized = readable.map((r, k) => ({ path: items[k].path, label: items[k].label, maskPath: items[k].maskPath, width: r.outcome.size?.width ?? 0, height: r.outcome.size?.height ?? 0, map: r.outcome.maps[d] ?? null }));
    if (localized.some((x) => x.map)) perModel[d].localization = await localizationMetrics(localized);
  }

  // The result's single threshold field: the first model's when thresholds come from the manifests
  // (each model's own threshold is in models[].defaultThreshold and its metrics' confusion matrix).
  const robustnessThreshold = opts.manifestThresholds && models.length > 0 ? models[0].defaultThreshold : threshold;
  const robustness: RobustnessResult | null = levels
    ? { threshold: robustnessThreshold, levels, curves: robustnessCurves(levels, computed, readable, models, thresholdOf) }
    : null;

  const guardrails = evaluationGuardrails(models, set.summary.task ?? datasetTask(set.items), items);
  const notes: string[] = [];
  if (unreadable.length > 0) notes.push(`${unreadable.length} of ${set.items.length} images could not be read and are left out of every metric (see unreadable)`);
  for (const m of models) if (m.fixture) notes.push(`${m.id} is a TEST FIXTURE, not a trained detector: its scores carry no forensic meaning`);
  const fake = items.filter((i) => i.label === 1).length;
  return {
    version: 1,
    id: randomUUID(),
    createdAt: (opts.now ?? (() => new Date()))().toISOString(),
    softwareVersion: SOFTWARE_VERSION,
    dataset: set.summary,
    selection: {
      split: opts.selection?.split ?? null,
      limit: opts.selection?.limit ?? null,
      seed: opts.selection?.seed ?? seed,
      items: set.items.length,
      real: set.items.filter((i) => i.label === 0).length,
      fake: set.items.filter((i) => i.label === 1).length,
    },
    threshold: opts.manifestThresholds && models.length > 0 ? models[0].defaultThreshold : threshold,
    targetFpr,
    bootstrap,
    models,
    perModel,
    items,
    unreadable,
    robustness,
    guardrails,
    ...(opts.formatBaseline
      ? { formatBaseline: formatBaseline(readable.flatMap((r, k) => (r.outcome.file ? [{ label: r.label, group: items[k].group, facts: r.outcome.file }] : [])), 5, seed) }
      : {}),
    thumbnailDir: opts.thumbnailDir ?? null,
    throughput: {
      images: set.items.length,
      seconds,
      imagesPerSecond: seconds > 0 ? set.items.length / seconds : 0,
      passesPerImage: 1 + computed.length,
      providers: Object.fromEntries(models.map((m) => [m.id, m.provider])),
    },
    notes: fake === 0 || fake === items.length ? [...notes, oneClassNote(items.length - fake, fake)!] : notes,
  };
}

/** The robustness sweep alone: AP and accuracy per level and model (same pass as evaluate). */
export async function robustnessSweep(
  set: LabelledSet,
  detectors: readonly Detector[],
  opts: Omit<EvaluateOptions, 'robustness' | 'bootstrap'> & { levels?: RobustnessLevels } = {},
): Promise<RobustnessResult> {
  const result = await evaluate(set, detectors, { ...opts, bootstrap: 0, robustness: opts.levels ?? true });
  return result.robustness!;
}
