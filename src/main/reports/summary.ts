import type { EvidenceCheckStatus, EvidenceItem, Verdict } from '../../contract/case';
import { VERDICTS } from '../../contract/case';
import type { DetectorTally, ReportEvidenceRow, ReportModel, ReportSummary } from '../../contract/report';
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
    analysisErrors: items.filter((i) => i.latestResult?.status === 'error').length,
    fixtureModelsUsed: models.some((m) => m.fixture) || items.some((i) => i.latestResult?.scores.some((s) => s.fixture)),
  };
}

const INTEGRITY_FLAG: Record<Exclude<EvidenceCheckStatus, 'ok'>, string> = {
  modified: 'MODIFIED',
  missing: 'MISSING',
  unreadable: 'UNREADABLE',
};

/** One evidence-table row; `integrity` is the file's status at report time. */
export function evidenceRow(item: EvidenceItem, hasSection: boolean, integrity: EvidenceCheckStatus | undefined): ReportEvidenceRow {
  const result = item.latestResult;
  const scores = result?.scores ?? [];
  const flags: string[] = [];
  if (integrity && integrity !== 'ok') flags.push(INTEGRITY_FLAG[integrity]);
  if (item.review?.flagged) flags.push('reviewer flag');
  if (scores.some((s) => s.flagged)) flags.push('detector');
  if (!result) flags.push('not analysed');
  else if (result.status === 'error') flags.push('analysis error');
  if (item.metadata.extensionMismatch) flags.push('extension mismatch');
  if (item.metadata.warnings.length) flags.push(`metadata (${item.metadata.warnings.length})`);
  return {
    id: item.id,
    fileName: item.fileName,
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
