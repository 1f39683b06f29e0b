// The case database: one SQLite file per case folder with an append-only, hash-chained audit log.
export { openCaseDatabase, DATABASE_FILE, DERIVED_DIR, type OpenCaseOptions } from './open';
export { CaseStore } from './caseStore';
export { StoreError, type StoreErrorCode } from './errors';
export { verifyCase, type VerifyOptions } from './verify';
export { SCHEMA_VERSION } from './migrations';
export { derivedPaths, ensureDerivedFolders, type DerivedPaths } from './derived';
