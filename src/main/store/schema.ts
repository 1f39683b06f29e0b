/**
 * SQL of each schema version, kept apart from the migration runner so the history reads top to
 * bottom. Never edit a version that has shipped: add the next one instead.
 */

/** v1: the case, its evidence, analysis runs and results, reviews and the audit log. */
export const SCHEMA_V1 = `
CREATE TABLE cases (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  number       TEXT NOT NULL DEFAULT '',
  examiner     TEXT NOT NULL DEFAULT '',
  organisation TEXT NOT NULL DEFAULT '',
  description  TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE evidence (
  id            INTEGER PRIMARY KEY,
  case_id       TEXT NOT NULL REFERENCES cases(id),
  path          TEXT NOT NULL,
  file_name     TEXT NOT NULL,
  sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
  size          INTEGER NOT NULL,
  format        TEXT NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  metadata_json TEXT NOT NULL,
  ingested_at   TEXT NOT NULL,
  UNIQUE (case_id, sha256, path)
) STRICT;

CREATE TABLE analysis_runs (
  id               INTEGER PRIMARY KEY,
  case_id          TEXT NOT NULL REFERENCES cases(id),
  started_at       TEXT NOT NULL,
  finished_at      TEXT,
  status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
  parameters_json  TEXT NOT NULL,
  software_version TEXT NOT NULL
) STRICT;

CREATE TABLE results (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES analysis_runs(id),
  evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
  status        TEXT NOT NULL CHECK (status IN ('ok', 'error')),
  error_json    TEXT,
  ela_json      TEXT,
  scores_json   TEXT NOT NULL DEFAULT '[]',
  warnings_json TEXT NOT NULL DEFAULT '[]',
  elapsed_ms    REAL NOT NULL DEFAULT 0,
  analysed_at   TEXT NOT NULL,
  UNIQUE (run_id, evidence_id)
) STRICT;
CREATE INDEX results_by_evidence ON results (evidence_id);

CREATE TABLE reviews (
  id          INTEGER PRIMARY KEY,
  evidence_id INTEGER NOT NULL REFERENCES evidence(id),
  verdict     TEXT CHECK (verdict IN ('authentic', 'manipulated', 'generated', 'inconclusive')),
  notes       TEXT NOT NULL DEFAULT '',
  reviewer    TEXT NOT NULL CHECK (length(reviewer) > 0),
  flagged     INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
  updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX reviews_by_evidence ON reviews (evidence_id, id);

-- Review history is evidence of who concluded what and when: rows are appended, never changed.
CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews are append-only: UPDATE refused'); END;
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews are append-only: DELETE refused'); END;

CREATE TABLE audit_log (
  seq          INTEGER PRIMARY KEY,
  at           TEXT NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  entity       TEXT NOT NULL,
  entity_id    TEXT,
  details_json TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
) STRICT;

-- These triggers stop mistakes and casual edits through SQLite tools. Anyone holding the file
-- can drop them; the hash chain (audit.ts, verify.ts) is what makes such tampering detectable.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
-- INSERT OR REPLACE would overwrite a row without firing the DELETE trigger; insisting on the
-- next sequence number also rules out gaps.
CREATE TRIGGER audit_log_append_next BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: seq must be the next number'); END;
`;

/**
 * v2: what the evidence gallery needs to filter and sort 10,000+ items in one query: the highest
 * model score of each result and every model's score as rows (both derived from scores_json,
 * back-filled here), and an index that finds the latest result of an item without a scan.
 */
export const SCHEMA_V2 = `
ALTER TABLE results ADD COLUMN max_score REAL;

CREATE TABLE result_scores (
  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  model_id  TEXT NOT NULL,
  score     REAL NOT NULL,
  PRIMARY KEY (result_id, model_id)
) STRICT, WITHOUT ROWID;

DROP INDEX results_by_evidence;
CREATE INDEX results_latest ON results (evidence_id, analysed_at, id);
CREATE INDEX evidence_by_name ON evidence (case_id, file_name COLLATE NOCASE, id);

UPDATE results SET max_score =
  (SELECT MAX(json_extract(s.value, '$.score')) FROM json_each(results.scores_json) AS s);

INSERT INTO result_scores (result_id, model_id, score)
  SELECT r.id, json_extract(s.value, '$.modelId'), json_extract(s.value, '$.score')
  FROM results AS r, json_each(r.scores_json) AS s
  WHERE true
  ON CONFLICT (result_id, model_id) DO UPDATE SET score = MAX(score, excluded.score);
`;

/**
 * v4: the case as the unit of custody. Every submitted file is an evidence row, including those
 * refused at import (metadata_json NULL; sha256 and size NULL when they could not be read), so
 * nothing submitted disappears from the gallery, the evidence table or the report. `path` is
 * where the file is read from now: the submitted location, a copy inside the case folder, or the
 * location a relink found it at by hash; `imported_path` is the submitted location, never
 * changed. SQLite cannot relax NOT NULL in place, so the table is rebuilt (the migration runs
 * with foreign keys off and checks them before committing; see migrations.ts).
 */
export const SCHEMA_V4_EVIDENCE = `
CREATE TABLE evidence_v4 (
  id            INTEGER PRIMARY KEY,
  case_id       TEXT NOT NULL REFERENCES cases(id),
  path          TEXT NOT NULL,
  file_name     TEXT NOT NULL,
  sha256        TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
  size          INTEGER,
  format        TEXT,
  width         INTEGER,
  height        INTEGER,
  metadata_json TEXT,
  ingested_at   TEXT NOT NULL,
  imported_path TEXT NOT NULL,
  storage       TEXT NOT NULL DEFAULT 'original' CHECK (storage IN ('original', 'copy', 'relinked')),
  CHECK (metadata_json IS NULL OR (sha256 IS NOT NULL AND size IS NOT NULL AND format IS NOT NULL
                                   AND width IS NOT NULL AND height IS NOT NULL))
) STRICT;

INSERT INTO evidence_v4 (id, case_id, path, file_name, sha256, size, format, width, height, metadata_json, ingested_at, imported_path, storage)
  SELECT id, case_id, path, file_name, sha256, size, format, width, height, metadata_json, ingested_at, path, 'original' FROM evidence;
DROP TABLE evidence;
ALTER TABLE evidence_v4 RENAME TO evidence;

CREATE INDEX evidence_by_name ON evidence (case_id, file_name COLLATE NOCASE, id);
CREATE INDEX evidence_by_import ON evidence (case_id, imported_path, sha256);
CREATE INDEX evidence_by_sha256 ON evidence (case_id, sha256);
`;

/**
 * v5: gallery pages that cost O(page) whatever the size of the case. `evidence_state` holds one
 * row per evidence item with what lists sort and filter on: whether it was refused at import,
 * the latest result (id, status, error code), its highest score overall and per task, a compact
 * list of its model scores for tiles, the current review's verdict and the reviewer's flag, and
 * whether the item is flagged (contract/flagged.ts: reviewer, detector or analysis flag).
 * `current_scores` holds the latest result's score per model. Both are derived (see
 * evidenceState.ts, which rebuilds them from evidence, results and reviews with one SQL
 * definition) and kept current by every change to those tables. With an index per sort, a page
 * is one index walk from a cursor (keyset paging).
 */
export const SCHEMA_V5_GALLERY = `
CREATE TABLE evidence_state (
  evidence_id       INTEGER PRIMARY KEY REFERENCES evidence(id),
  case_id           TEXT NOT NULL,
  file_name         TEXT NOT NULL,
  result_id         INTEGER,
  status            TEXT CHECK (status IN ('ok', 'error')),
  error_code        TEXT,
  score             REAL,
  score_generated   REAL,
  score_manipulated REAL,
  score_face        REAL,
  scores_brief      TEXT NOT NULL DEFAULT '[]',
  refused           INTEGER NOT NULL DEFAULT 0 CHECK (refused IN (0, 1)),
  review_id         INTEGER,
  verdict           TEXT,
  review_flagged    INTEGER NOT NULL DEFAULT 0 CHECK (review_flagged IN (0, 1)),
  flagged           INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1))
) STRICT;
CREATE INDEX evidence_state_time ON evidence_state (case_id, evidence_id);
CREATE INDEX evidence_state_name ON evidence_state (case_id, file_name COLLATE NOCASE, evidence_id);
CREATE INDEX evidence_state_score ON evidence_state (case_id, score DESC, evidence_id);
CREATE INDEX evidence_state_generated ON evidence_state (case_id, score_generated DESC, evidence_id);
CREATE INDEX evidence_state_manipulated ON evidence_state (case_id, score_manipulated DESC, evidence_id);
CREATE INDEX evidence_state_face ON evidence_state (case_id, score_face DESC, evidence_id);

CREATE TABLE current_scores (
  evidence_id INTEGER NOT NULL REFERENCES evidence(id),
  model_id    TEXT NOT NULL,
  score       REAL NOT NULL,
  PRIMARY KEY (evidence_id, model_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX current_scores_by_model ON current_scores (model_id, score DESC, evidence_id);
`;

/**
 * v6: the forensic analyses' findings (issue 14), one row per item and analysis: the summary the
 * analysis returned (recorded, audited by digest like a result) and `flagged`, derived from it
 * for the gallery's flag filter and checked against it by verification (derivedChecks.ts), as
 * results.max_score is. A newer version of an analysis replaces the item's row (audited).
 */
export const SCHEMA_V6_FINDINGS = `
CREATE TABLE analysis_findings (
  id           INTEGER PRIMARY KEY,
  evidence_id  INTEGER NOT NULL REFERENCES evidence(id),
  analysis     TEXT NOT NULL,
  version      TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  computed_at  TEXT NOT NULL,
  flagged      INTEGER NOT NULL CHECK (flagged IN (0, 1)),
  UNIQUE (evidence_id, analysis)
) STRICT;
CREATE INDEX analysis_findings_flagged ON analysis_findings (flagged, analysis, evidence_id);
`;
