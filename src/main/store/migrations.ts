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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

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
