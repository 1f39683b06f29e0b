import { mkdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CaseStore } from './caseStore';
import { StoreError } from './errors';
import { migrate, schemaVersion, SCHEMA_VERSION } from './migrations';

export const DATABASE_FILE = 'case.sqlite';
export const DERIVED_DIR = 'derived';

export interface OpenCaseOptions {
  /** Name the audit log records for changes without a reviewer; defaults to the OS user. */
  actor?: string;
  /** Clock for timestamps (tests pin it); defaults to the system clock. */
  now?: () => Date;
  /**
   * Open without changing anything: no folder creation, no migration. For an examiner who
   * verifies a handed-over case; the database must already be at the current schema version.
   */
  readonly?: boolean;
  /** Refuse a folder without a case database instead of creating one (commands that need a case). */
  mustExist?: boolean;
}

function defaultActor(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    // userInfo throws when the uid has no passwd entry (some containers).
    return 'unknown';
  }
}

/**
 * Opens (creating if needed) `<caseDir>/case.sqlite` and `<caseDir>/derived/`, brings the schema
 * up to date and returns the store.
 *
 * Durability: WAL journal with synchronous = FULL. A killed process (kill -9, crash) never loses
 * a committed transaction in WAL mode even with NORMAL, because the commit already reached the
 * OS; FULL additionally fsyncs the WAL on every commit so a power cut or OS crash cannot lose a
 * result either. Results are committed one file at a time and analysing a file takes far longer
 * than an fsync, so the cost does not show.
 */
export function openCaseDatabase(caseDir: string, options: OpenCaseOptions = {}): CaseStore {
  const dir = resolve(caseDir);
  const dbPath = join(dir, DATABASE_FILE);
  const derivedDir = join(dir, DERIVED_DIR);
  const clock = options.now ?? (() => new Date());
  const now = () => clock().toISOString();
  const actor = options.actor?.trim() || defaultActor();

  if (options.readonly || options.mustExist) {
    try {
      statSync(dbPath);
    } catch {
      throw new StoreError('NOT_FOUND', `${dir} is not a case folder: it has no ${DATABASE_FILE}`);
    }
  }
  if (!options.readonly) {
    try {
      mkdirSync(derivedDir, { recursive: true });
    } catch (err) {
      throw new StoreError('INVALID', `cannot use ${dir} as a case folder: ${(err as Error).message}`, { cause: err });
    }
  }

  const db = new Database(dbPath, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // 4 MiB of page cache. better-sqlite3 builds SQLite with 16 MiB, which an import filled at
    // about 7.7 KiB per file for its first few thousand files (what looked like a leak). Lists
    // are index walks whose pages (about 2.5 MiB for 200 tiles) fit in 4 MiB whatever the size
    // of the case; the operating system's file cache holds the rest.
    db.pragma('cache_size = -4096');
    if (options.readonly) {
      const version = schemaVersion(db);
      if (version !== SCHEMA_VERSION) {
        throw new StoreError(
          version > SCHEMA_VERSION ? 'SCHEMA_TOO_NEW' : 'SCHEMA_OUTDATED',
          `This case database has schema version ${version}; this version of Provenance Lab reads ` +
            `version ${SCHEMA_VERSION}. ${version > SCHEMA_VERSION ? 'Use a newer version of the software.' : 'Open it read-write once to upgrade it.'}`,
        );
      }
    } else {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrate(db, { actor, now });
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return new CaseStore({ db, caseDir: dir, derivedDir, actor, now });
}
