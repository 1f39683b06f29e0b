import type Database from 'better-sqlite3';
import { appendAudit } from './audit';
import { StoreError } from './errors';
import { SCHEMA_V1, SCHEMA_V2 } from './schema';

/**
 * Schema versions live in `PRAGMA user_version`. Migration N takes a version N-1 database to
 * version N; each runs in its own transaction together with its audit entry and the version
 * bump, so a crash leaves the database at a whole version, never half-way.
 */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
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
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated in the meantime.
      const current = schemaVersion(db);
      assertNotNewer(current);
      if (current >= migration.version) return;
      migration.up(db);
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
  return { from, to: Math.max(from, schemaVersion(db)) };
}
