// No Node imports: the renderer imports this module to recompute results live.
// Everything the evaluation reports about one model, from its per-image scores: overall metrics
// with confidence intervals, the per-generator table, ROC and PR curves for plotting, and the
// false positives and false negatives ranked by how confident the mistake was.
import type { Label, MetricsSummary, MistakePick, ModelEvaluation } from '../../contract/evaluation';
import { bootstrapIntervals } from './bootstrap';
import {
  averagePrecisionOf,
  downsampleCurve,
  oneClassNote,
  prCurveOf,
  rankCurve,
  rocAucOf,
  rocCurveOf,
  thresholdForFpr,
  thresholdMetrics,
  thresholdNotes,
} from '../../shared/metrics';
import { generatorTable } from '../../shared/generatorTable';
import { mistakes, type ScoredItem } from '../../shared/mistakes';

export { mistakes, type ScoredItem };

export interface MetricsOptions {
  threshold: number;
  targetFpr: number;
  /** null: no confidence intervals. */
  bootstrap: { replicates: number; seed: number } | null;
}

export function metricsSummary(labels: readonly Label[], scores: readonly number[], opts: MetricsOptions): MetricsSummary {
  const m = thresholdMetrics(labels, scores, opts.threshold);
  const curve = rankCurve(labels, scores);
  const notes = thresholdNotes(m);
  const oneClass = oneClassNote(m.real, m.fake);
  if (oneClass) notes.push(oneClass);
  const ci = opts.bootstrap ? bootstrapIntervals(labels, scores, opts.threshold, opts.bootstrap) : null;
  if (ci && ci.ap === null && !oneClass) notes.push('no bootstrap replicate drew both classes: the AP interval is undefined');
  return {
    ...m,
    ap: averagePrecisionOf(curve),
    auc: rocAucOf(rocCurveOf(curve)),
    ci,
    thresholdAtFpr: thresholdForFpr(labels, scores, opts.targetFpr),
    notes,
  };
}

export interface ModelEvaluationOptions extends MetricsOptions {
  /** Most points per curve handed to the UI. */
  curvePoints: number;
}

export function evaluateModel(
  modelId: string,
  scored: readonly ScoredItem[],
  unscored: { path: string; message: string }[],
  opts: ModelEvaluationOptions,
): ModelEvaluation {
  const base = { modelId, scored: scored.length, unscored, notes: [] as string[] };
  if (unscored.length > 0) base.notes.push(`${unscored.length} image(s) could not be scored by ${modelId} and are left out of its metrics`);
  if (scored.length === 0) {
    base.notes.push(`${modelId} scored no image: no metric can be computed`);
    return { ...base, metrics: null, table: null, roc: [], pr: [], falsePositives: [], falseNegatives: [] };
  }
  const labels = scored.map((s) => s.label);
  const scores = scored.map((s) => s.score);
  const curve = rankCurve(labels, scores);
  const roc = rocCurveOf(curve) ?? [];
  const pr = prCurveOf(curve) ?? [];
  return {
    ...base,
    metrics: metricsSummary(labels, scores, opts),
    table: generatorTable(scored, opts.threshold),
    roc: downsampleCurve(roc, opts.curvePoints, (p) => [p.fpr, p.tpr]),
    pr: downsampleCurve(pr, opts.curvePoints, (p) => [p.recall, p.precision]),
    ...mistakes(scored, opts.threshold),
  };
}
