// Public API of the evaluation workspace: labelled sets, splits, metrics, per-generator tables,
// robustness and the evaluation itself. Everything it returns is plain JSON (contract/evaluation).
export { detectLayout, loadLabelledSet, scanDataset, DatasetError, EXPECTED_LAYOUTS, type DatasetErrorCode, type LabelledSet } from './dataset';
export { groupAwareSplit, applySplit, type GroupSplit, type SplitOptions } from './split';
export {
  averagePrecision,
  rocAuc,
  rocCurve,
  prCurve,
  rankCurve,
  confusionAt,
  thresholdMetrics,
  thresholdForFpr,
  downsampleCurve,
  MetricsError,
} from '../../shared/metrics';
export { bootstrapIntervals, percentile } from './bootstrap';
export { metricsSummary, evaluateModel, mistakes } from './modelEvaluation';
export { generatorTable, formatGeneratorTableMarkdown, formatGeneratorTableText } from '../../shared/generatorTable';
export { perturb, DEFAULT_ROBUSTNESS_LEVELS } from './perturb';
export { evaluationGuardrails, formatLeakage, taskMismatches, LEAKAGE_AUC } from './guardrails';
export { evaluate, robustnessSweep, DEFAULT_THRESHOLD, DEFAULT_TARGET_FPR, DEFAULT_BOOTSTRAP, type EvaluateOptions } from './evaluate';
export { EvaluationCancelledError } from './scoring';
export { formatEvaluationMarkdown, formatModelText, formatRobustnessText, formatBaselineText, guardrailWarnings, formatLeakageText } from './report';
export { formatBaseline, formatFeatures, FORMAT_FEATURES } from './formatBaseline';
export { localizationMetrics, readMask, PIXEL_THRESHOLD } from './localization';
export { seededSample } from './random';
export { selectEvaluationSet, type SelectedSet, type SelectionOptions } from './selection';
