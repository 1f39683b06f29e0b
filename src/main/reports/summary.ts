import type { EvidenceCheckStatus, EvidenceItem, Verdict } from '../../contract/case';
import { ANALYSIS_SHORT_NAMES, type AnalysisId } from '../../contract/analyses';
import { VERDICTS } from '../../contract/case';
import type { DetectorTally, ReportEvidenceRow, ReportModel, ReportSummary } from '../../contract/report';
import { FLAG_REASON_LABEL, flagReasons, type FlagReason } from '../../contract/flagged';
import { scoreOf } from './models';

/** Counts per verdict and per detector decision over every item of the case. */
export function summarise(items: EvidenceItem[], models: ReportModel[]): ReportSummary {
  const verdicts = Object.fromEntries([...VERDICTS, 'unreviewed'].map((v) => [v, 0])) as Record<Verdict | 'unreviewed', number>;
  for (const item of items) verdicts[item.review?.verdict ?? 'unreviewed'] += 1;

  // One tally per model id and version: re-runs of the same model count once per item.
  const tallies = new Map<string, DetectorTally>();
  for (const m of models) {
    const k = `${m.id}@${m.version}`;
    const tally = tallies.get(k) ?? { modelId: m.id, modelVersion: m.version, fixture: false, thresholds: [], flagged: 0, notFlagged: 0, unscored: 0 };
    tally.fixture ||= m.fixture;
    for (const t of m.thresholds) if (!tally.thresholds.includes(t)) tally.thresholds.push(t);
    tallies.set(k, tally);
  }
  for (const tally of tallies.values()) {
    for (const item of items) {
      const s = scoreOf(item.latestResult?.scores ?? [], tally.modelId, tally.modelVersion);
      if (!s) tally.unscored += 1;
      else if (s.flagged) tally.flagged += 1;
      else tally.notFlagged += 1;
    }
  }

  return {
    items: items.length,
    verdicts,
    detectors: [...tallies.values()],
    reviewerFlagged: items.filter((i) => i.review?.flagged).length,
    ...countFlags(items),
    analysisErrors: items.filter((i) => !i.refused && i.latestResult?.status === 'error').length,
    refused: items.filter((i) => i.refused).length,
    errorCodes: countErrorCodes(items),
    copied: items.filter((i) => i.storage === 'copy').length,
    relinked: items.filter((i) => i.storage === 'relinked').length,
    fixtureModelsUsed: models.some((m) => m.fixture) || items.some((i) => i.latestResult?.scores.some((s) => s.fixture)),
  };
}

function countFlags(items: EvidenceItem[]): Pick<ReportSummary, 'flagged' | 'flagReasons'> {
  const flagReasonsCount: Record<FlagReason, number> = { reviewer: 0, detector: 0, analysis: 0 };
  let flagged = 0;
  for (const item of items) {
    const reasons = flagReasons(item);
    if (reasons.length) flagged += 1;
    for (const r of reasons) flagReasonsCount[r] += 1;
  }
  return { flagged, flagReasons: flagReasonsCount };
}

function countErrorCodes(items: EvidenceItem[]): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const item of items) {
    const code = item.latestResult?.status === 'error' ? item.latestResult.error?.code : undefined;
    if (code) codes[code] = (codes[code] ?? 0) + 1;
  }
  return codes;
}

const INTEGRITY_FLAG: Record<Exclude<EvidenceCheckStatus, 'ok' | 'not-hashed'>, string> = {
  relinked: 'RELINKED',
  modified: 'MODIFIED',
  missing: 'MISSING',
  unreadable: 'UNREADABLE',
};

/** One evidence-table row; `integrity` is the file's status at report time. */
export function evidenceRow(item: EvidenceItem, hasSection: boolean, integrity: EvidenceCheckStatus | undefined, analysisFlags: readonly AnalysisId[] = []): ReportEvidenceRow {
  const result = item.latestResult;
  const scores = result?.scores ?? [];
  const flags: string[] = [];
  if (integrity && integrity !== 'ok' && integrity !== 'not-hashed') flags.push(INTEGRITY_FLAG[integrity]);
  if (item.refused) flags.push('REFUSED');
  if (item.storage === 'copy') flags.push('copy in case');
  // The same reasons, in the same words, as contract/flagged.ts.
  for (const reason of flagReasons(item)) flags.push(FLAG_REASON_LABEL[reason]);
  if (!result) flags.push('not analysed');
  else if (result.status === 'error' && !item.refused) flags.push('analysis error');
  if (item.metadata?.extensionMismatch) flags.push('extension mismatch');
  if (item.metadata?.warnings.length) flags.push(`metadata (${item.metadata.warnings.length})`);
  for (const analysis of analysisFlags) flags.push(`analysis: ${ANALYSIS_SHORT_NAMES[analysis]}`);
  return {
    id: item.id,
    fileName: item.fileName,
    importedPath: item.importedPath,
    refused: item.refused,
    error: result?.status === 'error' ? result.error : null,
    storage: item.storage,
    sha256: item.sha256,
    sizeBytes: item.sizeBytes,
    format: item.format,
    width: item.width,
    height: item.height,
    verdict: item.review?.verdict ?? null,
    scores: scores.map((s) => ({ modelId: s.modelId, score: s.score, threshold: s.threshold, flagged: s.flagged, fixture: s.fixture })),
    flags,
    hasSection,
  };
}
