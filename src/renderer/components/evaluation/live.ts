// Everything that depends on the decision threshold, recomputed in the renderer from the saved
// per-image scores whenever the threshold slider moves. The arithmetic is the engine's own pure
// metric functions, so the numbers on screen at the saved threshold are the saved numbers.
import type { EvaluationResult, GeneratorTable, Label, MistakePick, ThresholdMetrics } from '../../../contract/evaluation';
import { thresholdMetrics, thresholdNotes } from '../../../shared/metrics';
import { mistakes, type ScoredItem } from '../../../shared/mistakes';
import { generatorTable } from '../../../shared/generatorTable';

/** The four cells of a confusion matrix; positive = fake. */
export type Cell = 'tp' | 'fn' | 'fp' | 'tn';

export const CELL_NAMES: Record<Cell, string> = {
  tp: 'True positives (fake scored fake)',
  fn: 'False negatives (fake scored real)',
  fp: 'False positives (real scored fake)',
  tn: 'True negatives (real scored real)',
};

/** One model's scored images (those it failed on are left out, as in its saved metrics). */
export interface ScoredModel {
  modelId: string;
  scored: ScoredItem[];
  labels: Label[];
  scores: number[];
}

export function scoredModel(result: EvaluationResult, modelId: string): ScoredModel {
  const scored: ScoredItem[] = [];
  result.items.forEach((item, index) => {
    const score = item.scores[modelId];
    if (score !== null && score !== undefined) scored.push({ item: index, path: item.path, label: item.label, source: item.source, score });
  });
  return { modelId, scored, labels: scored.map((s) => s.label), scores: scored.map((s) => s.score) };
}

export interface LiveModel {
  modelId: string;
  /** null when the model scored no image. */
  metrics: ThresholdMetrics | null;
  /** Why threshold metrics are null at this threshold. */
  notes: string[];
  table: GeneratorTable | null;
  /** Each cell's images, the most confident first (mistakes: the most confident mistakes first). */
  cells: Record<Cell, MistakePick[]>;
}

const byScore = (descending: boolean) => (a: ScoredItem, b: ScoredItem) => (descending ? b.score - a.score : a.score - b.score) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const pick = (s: ScoredItem): MistakePick => ({ item: s.item, path: s.path, source: s.source, score: s.score });

export function liveModel(model: ScoredModel, threshold: number): LiveModel {
  if (model.scored.length === 0) {
    return { modelId: model.modelId, metrics: null, notes: [], table: null, cells: { tp: [], fn: [], fp: [], tn: [] } };
  }
  const metrics = thresholdMetrics(model.labels, model.scores, threshold);
  const { falsePositives, falseNegatives } = mistakes(model.scored, threshold);
  return {
    modelId: model.modelId,
    metrics,
    notes: thresholdNotes(metrics),
    table: generatorTable(model.scored, threshold),
    cells: {
      tp: model.scored.filter((s) => s.label === 1 && s.score >= threshold).sort(byScore(true)).map(pick),
      fn: falseNegatives,
      fp: falsePositives,
      tn: model.scored.filter((s) => s.label === 0 && s.score < threshold).sort(byScore(false)).map(pick),
    },
  };
}

/** Where the threshold puts the model on its ROC and PR curves. */
export function operatingPoint(m: ThresholdMetrics): { fpr: number | null; tpr: number | null; recall: number | null; precision: number | null } {
  const { tp, fp, tn, fn } = m.confusion;
  return {
    fpr: fp + tn > 0 ? fp / (fp + tn) : null,
    tpr: tp + fn > 0 ? tp / (tp + fn) : null,
    recall: m.recall,
    precision: m.precision,
  };
}

/** How two models did on the images both scored: agreement and disagreement at one threshold. */
export interface Agreement {
  both: MistakePick[];
  onlyA: MistakePick[];
  onlyB: MistakePick[];
  neither: MistakePick[];
}

/** Picks carry model A's score; each list is sorted by A's confidence in its answer. */
export function agreement(a: ScoredModel, b: ScoredModel, threshold: number): Agreement {
  const bScores = new Map(b.scored.map((s) => [s.item, s.score]));
  const out: Agreement = { both: [], onlyA: [], onlyB: [], neither: [] };
  const correct = (label: Label, score: number) => (score >= threshold) === (label === 1);
  for (const s of a.scored) {
    const other = bScores.get(s.item);
    if (other === undefined) continue;
    const okA = correct(s.label, s.score);
    const okB = correct(s.label, other);
    (okA && okB ? out.both : okA ? out.onlyA : okB ? out.onlyB : out.neither).push(pick(s));
  }
  const confidence = (p: MistakePick) => Math.abs(p.score - threshold);
  for (const list of Object.values(out) as MistakePick[][]) list.sort((x, y) => confidence(y) - confidence(x) || x.item - y.item);
  return out;
}

/** A 0..1 value as a percentage with one decimal, as the published tables print it. */
export function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(1)}`;
}

/** A 0..1 metric with three decimals; 'n/a' when undefined (never NaN). */
export function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}
