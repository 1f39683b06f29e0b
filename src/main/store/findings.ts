// The forensic analyses' findings of each item (schema v5, analysis_findings): one row per item
// and analysis, holding the summary it returned. Each write is audited with the row's digest like
// a result; `flagged` is derived from the summary for the gallery's filter and checked against it
// by verification (checkFindingFlags), as results.max_score is against scores_json.

import type Database from 'better-sqlite3';
import { ANALYSIS_IDS, type AnalysisId, type AnalysisSummary, type StoredFinding } from '../../contract/analyses';
import type { RecordProblem } from '../../contract/case';
import { canonicalJson } from './canonicalJson';
import type { CaseStore } from './caseStore';
import { StoreError } from './errors';
import { rowDigest } from './rowDigest';
import { statement } from './statements';

interface FindingRow {
  id: number;
  evidence_id: number;
  analysis: string;
  version: string;
  summary_json: string;
  computed_at: string;
}

function validSummary(summary: AnalysisSummary): void {
  if (!(ANALYSIS_IDS as readonly string[]).includes(summary?.analysis)) {
    throw new StoreError('INVALID', `unknown analysis "${String(summary?.analysis)}"`);
  }
  if (typeof summary.version !== 'string' || !summary.version.startsWith(`${summary.analysis}/`)) {
    throw new StoreError('INVALID', `analysis ${summary.analysis} has version "${String(summary.version)}", not "${summary.analysis}/<n>"`);
  }
  if (typeof summary.flagged !== 'boolean') throw new StoreError('INVALID', `analysis ${summary.analysis} gave no flag`);
}

/**
 * Stores each summary as the item's finding for its analysis, replacing an earlier one (a newer
 * version, or the same analysis run again on the same bytes). An unchanged summary writes
 * nothing; every write has its audit entry. Refused items have no findings.
 */
export function recordFindings(store: CaseStore, evidenceId: number, summaries: readonly AnalysisSummary[], computedAt: string): StoredFinding[] {
  for (const s of summaries) validSummary(s);
  return store.transaction(() => {
    const evidence = statement(store.db, 'SELECT metadata_json IS NULL AS refused FROM evidence WHERE id = ?').get(evidenceId) as { refused: number } | undefined;
    if (!evidence) throw new StoreError('NOT_FOUND', `no evidence item with id ${evidenceId} in this case`);
    if (evidence.refused) throw new StoreError('INVALID', `evidence ${evidenceId} was refused at import; it has no analysis findings`);
    for (const summary of summaries) {
      const json = canonicalJson(summary);
      const existing = statement(store.db, 'SELECT id, summary_json FROM analysis_findings WHERE evidence_id = ? AND analysis = ?').get(evidenceId, summary.analysis) as
        | { id: number; summary_json: string }
        | undefined;
      if (existing?.summary_json === json) continue;
      const { id } = statement(
        store.db,
        `INSERT INTO analysis_findings (evidence_id, analysis, version, summary_json, computed_at, flagged)
         VALUES (@evidenceId, @analysis, @version, @json, @computedAt, @flagged)
         ON CONFLICT (evidence_id, analysis) DO UPDATE SET
           version = excluded.version, summary_json = excluded.summary_json,
           computed_at = excluded.computed_at, flagged = excluded.flagged
         RETURNING id`,
      ).get({ evidenceId, analysis: summary.analysis, version: summary.version, json, computedAt, flagged: summary.flagged ? 1 : 0 }) as { id: number };
      store.audit({
        action: 'finding.record',
        entity: 'finding',
        entityId: id,
        details: { evidenceId, analysis: summary.analysis, version: summary.version, flagged: summary.flagged, replaced: existing !== undefined, digest: rowDigest(store.db, 'finding', id) },
      });
    }
    return findingsOf(store, evidenceId);
  });
}

function toFinding(row: FindingRow): StoredFinding {
  return {
    id: row.id,
    evidenceId: row.evidence_id,
    analysis: row.analysis as AnalysisId,
    version: row.version,
    computedAt: row.computed_at,
    summary: JSON.parse(row.summary_json) as AnalysisSummary,
  };
}

const ORDER = `CASE analysis ${ANALYSIS_IDS.map((id, i) => `WHEN '${id}' THEN ${i}`).join(' ')} ELSE ${ANALYSIS_IDS.length} END`;

/** The item's findings, in the catalogue's reading order. */
export function findingsOf(store: CaseStore, evidenceId: number): StoredFinding[] {
  const rows = statement(store.db, `SELECT id, evidence_id, analysis, version, summary_json, computed_at FROM analysis_findings WHERE evidence_id = ? ORDER BY ${ORDER}`).all(evidenceId) as FindingRow[];
  return rows.map(toFinding);
}

/** Findings of many items at once (reports), by evidence id. */
export function findingsByEvidence(store: CaseStore, evidenceIds: readonly number[]): Map<number, StoredFinding[]> {
  const out = new Map<number, StoredFinding[]>();
  for (const id of evidenceIds) out.set(id, findingsOf(store, id));
  return out;
}

/** analysis_findings.flagged against each row's summary_json (see derivedChecks.ts). */
export function checkFindingFlags(db: Database.Database): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const rows = db.prepare('SELECT id, analysis, summary_json, flagged FROM analysis_findings ORDER BY id').iterate() as IterableIterator<{ id: number; analysis: string; summary_json: string; flagged: number }>;
  for (const row of rows) {
    let summary: Partial<AnalysisSummary>;
    try {
      summary = JSON.parse(row.summary_json) as Partial<AnalysisSummary>;
    } catch {
      problems.push({ entity: 'finding', entityId: String(row.id), kind: 'derived-mismatch', message: `finding ${row.id}'s recorded summary is not readable JSON` });
      continue;
    }
    const expected = summary.flagged === true ? 1 : 0;
    if (row.flagged !== expected || summary.analysis !== row.analysis) {
      problems.push({
        entity: 'finding',
        entityId: String(row.id),
        kind: 'derived-mismatch',
        message: `finding ${row.id} (${row.analysis}) has flagged = ${row.flagged}, but its recorded summary ${summary.analysis !== row.analysis ? `is for ${String(summary.analysis)}` : `says ${expected}`}: the gallery's analysis-flag filter would show it wrongly`,
      });
    }
  }
  return problems;
}
