// The new-evaluation form's choices and the evaluation job it started, kept outside the
// component so they survive a trip to another view while a long evaluation runs.
import type { DatasetSummary } from '../../../contract/evaluation';

class EvaluationDraft {
  path = $state('');
  /** What "Detect" found for `detectedPath`; cleared when the path changes. */
  summary = $state.raw<DatasetSummary | null>(null);
  detectedPath = $state('');
  models = $state<string[]>([]);
  threshold = $state<number | null>(0.5);
  targetFpr = $state<number | null>(0.05);
  bootstrap = $state<number | null>(1000);
  robustness = $state(false);
  split = $state(false);
  valRatio = $state<number | null>(0.2);
  seed = $state<number | null>(1);
  useLimit = $state(false);
  limit = $state<number | null>(500);
  /** The evaluation job started from this form, until its result has been opened. */
  jobId = $state<string | null>(null);
}

export const draft = new EvaluationDraft();
