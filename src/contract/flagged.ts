// What "flagged" means, once, for every place that says it: the gallery's "Flagged" filter
// (mirrored in SQL by store/evidenceState.ts as the evidence_state.flagged column the gallery
// filters on; a test holds the two together), the report's flagged sections and counts, the CLI
// summaries and the README.
import type { EvidenceItem } from './case';
import type { AnalysisFlag, EvidenceMetadata, ModelScore } from './evidence';

export const FLAGGED_DEFINITION =
  'An item is flagged when the reviewer flagged it, when a detector scored it at or above that ' +
  "detector's threshold (test-fixture models never flag anything: they are not detectors), or when " +
  'an analysis raised a flag: its metadata names editing software or an AI image generator, or ' +
  'carries a generator\u2019s prompt.';

export type FlagReason = 'reviewer' | 'detector' | 'analysis';

export const FLAG_REASON_LABEL: Record<FlagReason, string> = {
  reviewer: 'reviewer flag',
  detector: 'detector at or above threshold',
  analysis: 'analysis flag',
};

/** Detector scores that flag: at or above the threshold, from a real detector (never a fixture). */
export function flaggingScores(scores: readonly ModelScore[]): ModelScore[] {
  return scores.filter((s) => s.flagged && !s.fixture);
}

/**
 * Words of the warnings that earlier versions wrote for the same findings, for items imported
 * before `analysisFlags` existed. The SQL mirror matches the same phrases.
 */
export const LEGACY_ANALYSIS_FLAG_PHRASES = ['names editing software', 'names an AI image generator', 'store the prompt and settings'] as const;

/** The analysis findings that flag an item (structured, or read from older items' warnings). */
export function analysisFlagsOf(metadata: EvidenceMetadata | null): AnalysisFlag[] {
  if (!metadata) return [];
  if (metadata.analysisFlags) return metadata.analysisFlags;
  return metadata.warnings
    .filter((w) => LEGACY_ANALYSIS_FLAG_PHRASES.some((p) => w.includes(p)))
    .map((w) => ({ code: w.includes('editing software') ? 'editing-software' : w.includes('prompt') ? 'generator-parameters' : 'generator-software', detail: w }));
}

/** The definition itself, on what any caller has: the reviewer's flag, the scores, the metadata. */
export function flagReasonsOf(input: { reviewerFlag: boolean; scores: readonly ModelScore[]; metadata: EvidenceMetadata | null }): FlagReason[] {
  const reasons: FlagReason[] = [];
  if (input.reviewerFlag) reasons.push('reviewer');
  if (flaggingScores(input.scores).length > 0) reasons.push('detector');
  if (analysisFlagsOf(input.metadata).length > 0) reasons.push('analysis');
  return reasons;
}

/** Why an item is flagged (empty: it is not). */
export function flagReasons(item: Pick<EvidenceItem, 'review' | 'latestResult' | 'metadata'>): FlagReason[] {
  return flagReasonsOf({ reviewerFlag: item.review?.flagged === true, scores: item.latestResult?.scores ?? [], metadata: item.metadata });
}

export function isFlagged(item: Pick<EvidenceItem, 'review' | 'latestResult' | 'metadata'>): boolean {
  return flagReasons(item).length > 0;
}
