import type Database from 'better-sqlite3';
import { LEGACY_ANALYSIS_FLAG_PHRASES } from '../../contract/flagged';
import { statement } from './statements';

/**
 * The gallery's derived tables (schema v5) and their one definition.
 *
 * `evidence_state` has one row per evidence item: whether it was refused at import (no
 * metadata), the latest result (newest analysed_at, then highest id, as everywhere in the
 * store), its status and error code, its highest score overall and per task (generated,
 * manipulated, face), a compact list of its model scores (model id and version, task, score,
 * threshold, flagged, fixture: what a tile needs), the current review (newest review row) with
 * its verdict and the reviewer's flag, and `flagged`: contract/flagged.ts's isFlagged() in SQL
 * (tests/store/flagged.test.ts holds the two together). `current_scores` has the latest
 * result's score per model (the highest, should a result list a model twice, as result_scores
 * does).
 *
 * Everything in both tables is computed by the SELECTs below from evidence, results
 * (scores_json, error_json) and reviews: nothing is recorded only there. They are rebuilt for an
 * item by every change to its evidence, results or reviews (refreshEvidenceState), for every
 * item by migration 5, and checked against a fresh derivation by evidenceStateProblems.
 */

const SCORE_OF = "json_extract(s.value, '$.score')";

const latestResultJoin = `
  LEFT JOIN results AS r ON r.id = (
    SELECT r2.id FROM results AS r2 WHERE r2.evidence_id = e.id ORDER BY r2.analysed_at DESC, r2.id DESC LIMIT 1)`;

const taskScore = (task: string): string =>
  `(SELECT MAX(${SCORE_OF}) FROM json_each(r.scores_json) AS s WHERE json_extract(s.value, '$.task') = '${task}')`;

/**
 * isFlagged() of contract/flagged.ts on e (evidence), r (latest result) and v (current review):
 * a reviewer flag, a score at or above its threshold from a detector that is not a test fixture,
 * or an analysis flag in the metadata (structured, or the words older items' warnings used).
 */
const FLAGGED_SQL = `(
  COALESCE(v.flagged, 0) = 1
  OR EXISTS (SELECT 1 FROM json_each(r.scores_json) AS fs
             WHERE json_extract(fs.value, '$.flagged') = 1 AND COALESCE(json_extract(fs.value, '$.fixture'), 0) = 0)
  OR (e.metadata_json IS NOT NULL AND (
        COALESCE(json_array_length(e.metadata_json, '$.analysisFlags'), 0) > 0
        OR (json_type(e.metadata_json, '$.analysisFlags') IS NULL AND (${LEGACY_ANALYSIS_FLAG_PHRASES.map((p) => `instr(e.metadata_json, '${p}') > 0`).join(' OR ')}))))
)`;

/** The derived evidence_state row of every item matching `where` (a condition on e). */
function derivedStateSql(where: string): string {
  return `
  SELECT
    e.id AS evidence_id,
    e.case_id AS case_id,
    e.file_name AS file_name,
    r.id AS result_id,
    r.status AS status,
    json_extract(r.error_json, '$.code') AS error_code,
    (SELECT MAX(${SCORE_OF}) FROM json_each(r.scores_json) AS s) AS score,
    ${taskScore('generated')} AS score_generated,
    ${taskScore('manipulated')} AS score_manipulated,
    ${taskScore('face')} AS score_face,
    COALESCE((SELECT json_group_array(json_object(
        'modelId', json_extract(s.value, '$.modelId'),
        'modelVersion', json_extract(s.value, '$.modelVersion'),
        'task', json_extract(s.value, '$.task'),
        'score', ${SCORE_OF},
        'threshold', json_extract(s.value, '$.threshold'),
        'flagged', json(CASE WHEN json_extract(s.value, '$.flagged') THEN 'true' ELSE 'false' END),
        'fixture', json(CASE WHEN json_extract(s.value, '$.fixture') THEN 'true' ELSE 'false' END)))
      FROM json_each(r.scores_json) AS s), '[]') AS scores_brief,
    CASE WHEN e.metadata_json IS NULL THEN 1 ELSE 0 END AS refused,
    v.id AS review_id,
    v.verdict AS verdict,
    COALESCE(v.flagged, 0) AS review_flagged,
    CASE WHEN ${FLAGGED_SQL} THEN 1 ELSE 0 END AS flagged
  FROM evidence AS e
  ${latestResultJoin}
  LEFT JOIN reviews AS v ON v.id = (
    SELECT v2.id FROM reviews AS v2 WHERE v2.evidence_id = e.id ORDER BY v2.id DESC LIMIT 1)
  WHERE ${where}`;
}

/** The derived current_scores rows of every item matching `where` (a condition on e). */
function derivedScoresSql(where: string): string {
  return `
  SELECT e.id AS evidence_id, json_extract(s.value, '$.modelId') AS model_id, MAX(${SCORE_OF}) AS score
  FROM evidence AS e
  ${latestResultJoin}
  JOIN json_each(r.scores_json) AS s
  WHERE ${where}
  GROUP BY e.id, json_extract(s.value, '$.modelId')`;
}

const STATE_COLUMNS =
  'evidence_id, case_id, file_name, result_id, status, error_code, score, score_generated, score_manipulated, score_face, scores_brief, refused, review_id, verdict, review_flagged, flagged';

/** Rebuilds both derived tables for every item (migration 5; a repair). Run inside a transaction. */
export function rebuildEvidenceState(db: Database.Database): void {
  db.exec('DELETE FROM evidence_state; DELETE FROM current_scores;');
  db.exec(`INSERT INTO evidence_state (${STATE_COLUMNS}) ${derivedStateSql('true')}`);
  db.exec(`INSERT INTO current_scores (evidence_id, model_id, score) ${derivedScoresSql('true')}`);
}

/** Rebuilds the derived rows of one item after a change to its evidence, results or reviews. */
export function refreshEvidenceState(db: Database.Database, evidenceId: number): void {
  statement(db, `INSERT OR REPLACE INTO evidence_state (${STATE_COLUMNS}) ${derivedStateSql('e.id = ?')}`).run(evidenceId);
  statement(db, 'DELETE FROM current_scores WHERE evidence_id = ?').run(evidenceId);
  statement(db, `INSERT INTO current_scores (evidence_id, model_id, score) ${derivedScoresSql('e.id = ?')}`).run(evidenceId);
}

/**
 * Evidence ids whose derived rows differ from a fresh derivation (a row missing, extra, or with
 * another value in any column): what `provenance verify` reports as tampering or corruption of
 * the gallery tables. Costs one pass over the case.
 */
export function evidenceStateProblems(db: Database.Database): number[] {
  const state = `SELECT ${STATE_COLUMNS} FROM evidence_state`;
  const scores = 'SELECT evidence_id, model_id, score FROM current_scores';
  const derivedState = derivedStateSql('true');
  const derivedScores = derivedScoresSql('true');
  // Compound SELECTs bind left to right: each difference is its own subquery.
  const ids = db
    .prepare(
      `SELECT evidence_id FROM (SELECT * FROM (${derivedState}) EXCEPT ${state})
       UNION SELECT evidence_id FROM (${state} EXCEPT SELECT * FROM (${derivedState}))
       UNION SELECT evidence_id FROM (SELECT * FROM (${derivedScores}) EXCEPT ${scores})
       UNION SELECT evidence_id FROM (${scores} EXCEPT SELECT * FROM (${derivedScores}))
       ORDER BY evidence_id`,
    )
    .pluck()
    .all() as number[];
  return ids;
}
