import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import { appendAudit } from './audit';
import { StoreError } from './errors';
import { canonicalJson } from './canonicalJson';
import { digestOf, rowDigest } from './rowDigest';
import { SCHEMA_V1, SCHEMA_V2, SCHEMA_V4_EVIDENCE, SCHEMA_V5_GALLERY, SCHEMA_V6_FINDINGS } from './schema';
import { rebuildEvidenceState } from './evidenceState';

/**
 * Schema versions live in `PRAGMA user_version`. Migration N takes a version N-1 database to
 * version N; each runs in its own transaction together with its audit entry and the version
 * bump, so a crash leaves the database at a whole version, never half-way.
 */
export interface Migration {
  version: number;
  description: string;
  /** The change rebuilds a table others refer to: run with foreign keys off, checked before commit. */
  rebuildsTables?: boolean;
  up(db: Database.Database, ctx: { actor: string; now: () => string }): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'cases, evidence, analysis runs, results, reviews, audit log',
    up: (db) => db.exec(SCHEMA_V1),
  },
  {
    version: 2,
    description: 'gallery support: per-result max score, per-model score rows, latest-result index',
    up: (db) => db.exec(SCHEMA_V2),
  },
  {
    version: 3,
    description: 'evaluation workspace: saved dataset splits, evaluation results, retraining flags',
    up: (db) => db.exec(SCHEMA_V3_EVALUATIONS),
  },
  {
    version: 4,
    description: 'custody: refused files as evidence items, evidence copied into the case or relinked by hash',
    rebuildsTables: true,
    up: migrateToV4,
  },
  {
    version: 5,
    description: 'gallery pages in O(page): per-item current state and scores per task, an index per sort, keyset paging',
    up: (db) => {
      db.exec(SCHEMA_V5_GALLERY);
      rebuildEvidenceState(db);
    },
  },
  {
    version: 6,
    description: 'forensic analyses: per-item findings of each analysis, with a flag the gallery filters on',
    up: (db) => db.exec(SCHEMA_V6_FINDINGS),
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * v3: what the evaluation workspace keeps in a case (src/main/store/evaluations.ts). Splits and
 * evaluation results are records of what was measured: append-only, like reviews. Retraining
 * flags are appended too; the latest row per path is the current state.
 */
const SCHEMA_V3_EVALUATIONS = `
CREATE TABLE dataset_splits (
  id           INTEGER PRIMARY KEY,
  case_id      TEXT NOT NULL REFERENCES cases(id),
  dataset_root TEXT NOT NULL,
  val_ratio    REAL NOT NULL CHECK (val_ratio > 0 AND val_ratio < 1),
  seed         INTEGER NOT NULL,
  split_json   TEXT NOT NULL,
  created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE evaluations (
  id           TEXT PRIMARY KEY,
  case_id      TEXT NOT NULL REFERENCES cases(id),
  split_id     INTEGER REFERENCES dataset_splits(id),
  dataset_root TEXT NOT NULL,
  layout       TEXT,
  items        INTEGER NOT NULL,
  threshold    REAL NOT NULL,
  models_json  TEXT NOT NULL,
  result_json  TEXT NOT NULL,
  created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX evaluations_by_time ON evaluations (case_id, created_at, id);

CREATE TABLE retraining_flags (
  id            INTEGER PRIMARY KEY,
  case_id       TEXT NOT NULL REFERENCES cases(id),
  evaluation_id TEXT REFERENCES evaluations(id),
  path          TEXT NOT NULL,
  sha256        TEXT,
  label         INTEGER NOT NULL CHECK (label IN (0, 1)),
  flagged       INTEGER NOT NULL CHECK (flagged IN (0, 1)),
  note          TEXT NOT NULL DEFAULT '',
  actor         TEXT NOT NULL,
  at            TEXT NOT NULL
) STRICT;
CREATE INDEX retraining_flags_by_path ON retraining_flags (case_id, path, id);

CREATE TRIGGER dataset_splits_no_update BEFORE UPDATE ON dataset_splits
BEGIN SELECT RAISE(ABORT, 'dataset_splits are append-only: UPDATE refused'); END;
CREATE TRIGGER dataset_splits_no_delete BEFORE DELETE ON dataset_splits
BEGIN SELECT RAISE(ABORT, 'dataset_splits are append-only: DELETE refused'); END;
CREATE TRIGGER evaluations_no_update BEFORE UPDATE ON evaluations
BEGIN SELECT RAISE(ABORT, 'evaluations are append-only: UPDATE refused'); END;
CREATE TRIGGER evaluations_no_delete BEFORE DELETE ON evaluations
BEGIN SELECT RAISE(ABORT, 'evaluations are append-only: DELETE refused'); END;
CREATE TRIGGER retraining_flags_no_update BEFORE UPDATE ON retraining_flags
BEGIN SELECT RAISE(ABORT, 'retraining_flags are append-only: UPDATE refused'); END;
CREATE TRIGGER retraining_flags_no_delete BEFORE DELETE ON retraining_flags
BEGIN SELECT RAISE(ABORT, 'retraining_flags are append-only: DELETE refused'); END;
`;

/** The evidence columns whose digest audit entries recorded up to schema v3. */
const EVIDENCE_V3_COLUMNS = ['id', 'case_id', 'path', 'file_name', 'sha256', 'size', 'format', 'width', 'height', 'metadata_json', 'ingested_at'] as const;

/**
 * v4 rebuilds the evidence table with two more audited columns, so every row's digest changes.
 * A row whose v3 digest still matched its latest audit entry gets a fresh entry with the new
 * digest; a row that had already been changed behind the application's back keeps its stale
 * entry, so verification goes on reporting it (the migration must never launder tampering).
 * Files refused by imports before v4 were only written to the audit log (import.rejected): they
 * become refused evidence items with their error result, each with its own audit entries.
 */
function migrateToV4(db: Database.Database, ctx: { actor: string; now: () => string }): void {
  const before = new Map<number, string>();
  const select = `SELECT ${EVIDENCE_V3_COLUMNS.join(', ')} FROM evidence ORDER BY id`;
  for (const row of db.prepare(select).iterate() as IterableIterator<Record<string, unknown>>) before.set(Number(row.id), digestOf(row));
  const recorded = latestEvidenceDigests(db);

  db.exec(SCHEMA_V4_EVIDENCE);

  for (const [id, digest] of before) {
    if (recorded.get(id) !== digest) continue;
    appendAudit(db, {
      at: ctx.now(),
      actor: ctx.actor,
      action: 'evidence.migrate',
      entity: 'evidence',
      entityId: id,
      details: { to: 4, importedPath: 'as path', storage: 'original', digest: rowDigest(db, 'evidence', id) },
    });
  }

  const rejected = db.prepare("SELECT seq, at, details_json FROM audit_log WHERE action = 'import.rejected' ORDER BY seq").all() as { seq: number; at: string; details_json: string }[];
  const caseRow = db.prepare('SELECT id FROM cases ORDER BY created_at, id LIMIT 1').get() as { id: string } | undefined;
  for (const entry of rejected) {
    const details = JSON.parse(entry.details_json) as { path?: string; runId?: number; error?: { code: string; message: string } };
    if (!caseRow || !details.path || !details.error) continue;
    const run = details.runId === undefined ? undefined : db.prepare('SELECT id FROM analysis_runs WHERE id = ?').get(details.runId);
    const { lastInsertRowid } = db
      .prepare(`INSERT INTO evidence (case_id, path, file_name, ingested_at, imported_path) VALUES (?, ?, ?, ?, ?)`)
      .run(caseRow.id, details.path, basename(details.path), entry.at, details.path);
    const evidenceId = Number(lastInsertRowid);
    appendAudit(db, {
      at: ctx.now(),
      actor: ctx.actor,
      action: 'evidence.add',
      entity: 'evidence',
      entityId: evidenceId,
      details: { path: details.path, sha256: null, refused: details.error.code, fromAuditEntry: entry.seq, digest: rowDigest(db, 'evidence', evidenceId) },
    });
    if (!run) continue;
    const result = db
      .prepare(`INSERT INTO results (run_id, evidence_id, status, error_json, analysed_at) VALUES (?, ?, 'error', ?, ?) RETURNING id`)
      .get(details.runId, evidenceId, canonicalJson(details.error), entry.at) as { id: number };
    appendAudit(db, {
      at: ctx.now(),
      actor: ctx.actor,
      action: 'result.record',
      entity: 'result',
      entityId: result.id,
      details: { runId: details.runId, evidenceId, status: 'error', errorCode: details.error.code, maxScore: null, replaced: false, digest: rowDigest(db, 'result', result.id) },
    });
  }
}

function latestEvidenceDigests(db: Database.Database): Map<number, string> {
  const latest = new Map<number, string>();
  const rows = db.prepare("SELECT entity_id, details_json FROM audit_log WHERE entity = 'evidence' AND entity_id IS NOT NULL ORDER BY seq").iterate() as IterableIterator<{ entity_id: string; details_json: string }>;
  for (const row of rows) {
    try {
      const digest = (JSON.parse(row.details_json) as { digest?: unknown }).digest;
      if (typeof digest === 'string') latest.set(Number(row.entity_id), digest);
    } catch {
      // A corrupted entry: verification reports it; its row gets no fresh digest here.
    }
  }
  return latest;
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function assertNotNewer(version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      `This case database has schema version ${version}, but this version of Provenance Lab only ` +
        `knows up to version ${SCHEMA_VERSION}. Open the case with a newer version of the ` +
        `software; the database was not changed.`,
    );
  }
}

export interface MigrateOptions {
  /** Stop at this version instead of the newest (tests build old databases this way). */
  target?: number;
  actor: string;
  now: () => string;
}

/** Brings the database up to `target` (default: the newest version). Returns the versions. */
export function migrate(db: Database.Database, options: MigrateOptions): { from: number; to: number } {
  const target = options.target ?? SCHEMA_VERSION;
  if (!Number.isInteger(target) || target < 0 || target > SCHEMA_VERSION) {
    throw new RangeError(`migration target must be 0..${SCHEMA_VERSION}, got ${target}`);
  }
  const from = schemaVersion(db);
  assertNotNewer(from);

  for (const migration of MIGRATIONS) {
    if (migration.version > target) break;
    if (schemaVersion(db) >= migration.version) continue;
    // PRAGMA foreign_keys cannot change inside a transaction: a table rebuild turns them off
    // around it and checks every reference itself before committing (SQLite's documented
    // procedure for changing a table's definition).
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    if (migration.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      runMigration(db, migration, options);
    } finally {
      if (migration.rebuildsTables) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
  }
  return { from, to: Math.max(from, schemaVersion(db)) };
}

function runMigration(db: Database.Database, migration: Migration, options: MigrateOptions): void {
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated in the meantime.
      const current = schemaVersion(db);
      assertNotNewer(current);
      if (current >= migration.version) return;
      migration.up(db, { actor: options.actor, now: options.now });
      if (migration.rebuildsTables) {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length) throw new StoreError('INVALID', `migration to version ${migration.version} would leave ${broken.length} broken reference(s); the database was not changed`);
      }
      appendAudit(db, {
        at: options.now(),
        actor: options.actor,
        action: 'schema.migrate',
        entity: 'schema',
        entityId: migration.version,
        details: { from: current, to: migration.version, description: migration.description },
      });
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
}
