import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalJson } from './canonicalJson';
import { statement } from './statements';

/**
 * Ties database rows to the audit log: every entry that creates or changes a row carries
 * `digest`, the SHA-256 of the row's recorded columns as stored. verifyCase recomputes the
 * digests so a row edited behind the store's back (the chain alone only protects the log) is
 * caught. Derived columns (results.max_score, result_scores, analysis_findings.flagged) are left out: they are rebuilt
 * from scores_json. A migration that rewrites a listed column must append fresh audit entries.
 */
export const AUDITED_TABLES = {
  case: {
    table: 'cases',
    columns: ['id', 'name', 'number', 'examiner', 'organisation', 'description', 'created_at'],
  },
  evidence: {
    table: 'evidence',
    columns: [
      'id', 'case_id', 'path', 'file_name', 'sha256', 'size', 'format', 'width', 'height',
      'metadata_json', 'ingested_at', 'imported_path', 'storage',
    ],
  },
  run: {
    table: 'analysis_runs',
    columns: ['id', 'case_id', 'started_at', 'finished_at', 'status', 'parameters_json', 'software_version'],
  },
  result: {
    table: 'results',
    columns: [
      'id', 'run_id', 'evidence_id', 'status', 'error_json', 'ela_json', 'scores_json',
      'warnings_json', 'elapsed_ms', 'analysed_at',
    ],
  },
  review: {
    table: 'reviews',
    columns: ['id', 'evidence_id', 'verdict', 'notes', 'reviewer', 'flagged', 'updated_at'],
  },
  finding: {
    table: 'analysis_findings',
    columns: ['id', 'evidence_id', 'analysis', 'version', 'summary_json', 'computed_at'],
  },
  retraining_flag: {
    table: 'retraining_flags',
    columns: ['id', 'case_id', 'evaluation_id', 'path', 'sha256', 'label', 'flagged', 'note', 'actor', 'at'],
  },
} as const;

export type AuditedEntity = keyof typeof AUDITED_TABLES;

/** SHA-256 of a row's recorded columns (an object of column → value, as SQLite returns it). */
export function digestOf(row: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(row), 'utf8').digest('hex');
}

function selectSql(entity: AuditedEntity): string {
  const { table, columns } = AUDITED_TABLES[entity];
  return `SELECT ${columns.join(', ')} FROM ${table}`;
}

/** Digest of one row, or null when the row does not exist. */
export function rowDigest(db: Database.Database, entity: AuditedEntity, id: string | number): string | null {
  const row = statement(db, `${selectSql(entity)} WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
  return row ? digestOf(row) : null;
}

/** Every row of an audited table with its digest, streamed in id order. */
export function* allRowDigests(
  db: Database.Database,
  entity: AuditedEntity,
): Generator<{ id: string; digest: string }> {
  const rows = db.prepare(`${selectSql(entity)} ORDER BY id`).iterate() as IterableIterator<Record<string, unknown>>;
  for (const row of rows) yield { id: String(row.id), digest: digestOf(row) };
}
