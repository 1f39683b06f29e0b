// The case database: one SQLite file per case folder with an append-only, hash-chained audit log.
export { openCaseDatabase, DATABASE_FILE, DERIVED_DIR, type OpenCaseOptions } from './open';
export { CaseStore } from './caseStore';
export { StoreError, type StoreErrorCode } from './errors';
export { verifyCase, type VerifyOptions, type ReportAnchor } from './verify';
export { AnchorBook, parseHead, readAnchorLines, isAuditAnchor, ANCHOR_KEY_FILE, ANCHOR_LOG_FILE, CASE_ANCHOR_FILE } from './anchors';
export { SCHEMA_VERSION } from './migrations';
export { analysisFiles, derivedPaths, ensureDerivedFolders, elaRerunDir, elaHeatmaps, displayPath, evaluationElaDir, heatmapPaths, thumbnailPath, type DerivedPaths } from './derived';
export { recordFindings, findingsOf, findingsByEvidence, checkFindingFlags } from './findings';
export { relinkCase, type RelinkOptions, type RelinkOutcome } from './relink';
