import type { EvidenceFilter } from '../../contract/case';
import { VERDICTS } from '../../contract/case';
import { LEGACY_ANALYSIS_FLAG_PHRASES } from '../../contract/flagged';
import { StoreError } from './errors';

/**
 * The gallery query: evidence joined with its latest result and current review, filtered and
 * sorted in SQL so a page of a 10,000+ item case costs one statement, not one per item.
 *
 * "Latest result" is the item's result with the newest analysed_at (then highest id) across all
 * runs, found through the results_latest index; "current review" is the item's newest review
 * row (reviews_by_evidence index). The sort/filter score is the latest result's max_score (the
 * highest score any model gave), or the named model's score when the filter has `modelId`
 * (result_scores primary key).
 */

const SELECT_COLUMNS = `
  e.*,
  r.id AS r_id, r.run_id AS r_run_id, r.status AS r_status, r.error_json AS r_error_json,
  r.ela_json AS r_ela_json, r.scores_json AS r_scores_json, r.warnings_json AS r_warnings_json,
  r.elapsed_ms AS r_elapsed_ms, r.analysed_at AS r_analysed_at, r.max_score AS r_max_score,
  v.id AS v_id, v.verdict AS v_verdict, v.notes AS v_notes, v.reviewer AS v_reviewer,
  v.flagged AS v_flagged, v.updated_at AS v_updated_at`;

const LATEST_RESULT_JOIN = `
  LEFT JOIN results AS r ON r.id = (
    SELECT r2.id FROM results AS r2 WHERE r2.evidence_id = e.id
    ORDER BY r2.analysed_at DESC, r2.id DESC LIMIT 1)`;

const CURRENT_REVIEW_JOIN = `
  LEFT JOIN reviews AS v ON v.id = (
    SELECT v2.id FROM reviews AS v2 WHERE v2.evidence_id = e.id ORDER BY v2.id DESC LIMIT 1)`;

/**
 * contract/flagged.ts's isFlagged() in SQL (tests/store/flagged.test.ts holds the two together):
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

export interface BuiltQuery {
  sql: string;
  params: Record<string, string | number>;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function checkNumber(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isFinite(value) || value < min)) {
    throw new StoreError('INVALID', `${name} must be a number >= ${min}, got ${value}`);
  }
}

function fromAndWhere(
  caseId: string,
  filter: EvidenceFilter,
  evidenceId?: number,
): { sql: string; params: BuiltQuery['params']; scoreExpr: string } {
  const params: BuiltQuery['params'] = { caseId };
  const where = ['e.case_id = @caseId'];
  if (evidenceId !== undefined) {
    params.evidenceId = evidenceId;
    where.push('e.id = @evidenceId');
  }
  let modelJoin = '';
  let scoreExpr = 'r.max_score';

  if (filter.modelId !== undefined) {
    params.modelId = filter.modelId;
    modelJoin = 'LEFT JOIN result_scores AS s ON s.result_id = r.id AND s.model_id = @modelId';
    scoreExpr = 's.score';
    where.push('s.score IS NOT NULL');
  }
  if (filter.verdict !== undefined) {
    if (filter.verdict === 'unreviewed') {
      where.push('v.verdict IS NULL');
    } else {
      if (!VERDICTS.includes(filter.verdict)) {
        throw new StoreError('INVALID', `unknown verdict "${String(filter.verdict)}"`);
      }
      params.verdict = filter.verdict;
      where.push('v.verdict = @verdict');
    }
  }
  if (filter.flagged !== undefined) {
    where.push(filter.flagged ? FLAGGED_SQL : `NOT ${FLAGGED_SQL}`);
  }
  if (filter.hasError !== undefined) {
    where.push(filter.hasError ? "r.status = 'error'" : "(r.status IS NULL OR r.status <> 'error')");
  }
  if (filter.analysed !== undefined) {
    where.push(filter.analysed ? 'r.id IS NOT NULL' : 'r.id IS NULL');
  }
  checkNumber('scoreMin', filter.scoreMin, -Infinity);
  checkNumber('scoreMax', filter.scoreMax, -Infinity);
  if (filter.scoreMin !== undefined) {
    params.scoreMin = filter.scoreMin;
    where.push(`${scoreExpr} >= @scoreMin`);
  }
  if (filter.scoreMax !== undefined) {
    params.scoreMax = filter.scoreMax;
    where.push(`${scoreExpr} <= @scoreMax`);
  }
  if (filter.text !== undefined && filter.text !== '') {
    params.text = `%${escapeLike(filter.text)}%`;
    where.push("e.file_name LIKE @text ESCAPE '\\'");
  }

  const sql = `FROM evidence AS e ${LATEST_RESULT_JOIN} ${CURRENT_REVIEW_JOIN} ${modelJoin}
    WHERE ${where.join(' AND ')}`;
  return { sql, params, scoreExpr };
}

function orderBy(filter: EvidenceFilter): string {
  const desc = filter.descending === true;
  switch (filter.sort ?? 'time') {
    case 'name':
      return desc ? 'e.file_name COLLATE NOCASE DESC, e.id DESC' : 'e.file_name COLLATE NOCASE ASC, e.id ASC';
    case 'score':
      // Most suspicious first by default; unscored items stay last in both directions.
      return desc ? 'score ASC NULLS LAST, e.id ASC' : 'score DESC NULLS LAST, e.id ASC';
    case 'time':
      return desc ? 'e.id DESC' : 'e.id ASC';
    default:
      throw new StoreError('INVALID', `unknown sort "${String(filter.sort)}"`);
  }
}

/** `evidenceId` narrows the list to one item, so a single item is built exactly like a gallery row. */
export function buildListQuery(caseId: string, filter: EvidenceFilter, evidenceId?: number): BuiltQuery {
  checkNumber('limit', filter.limit, 0);
  checkNumber('offset', filter.offset, 0);
  const { sql, params, scoreExpr } = fromAndWhere(caseId, filter, evidenceId);
  params.limit = filter.limit === undefined ? -1 : Math.floor(filter.limit);
  params.offset = filter.offset === undefined ? 0 : Math.floor(filter.offset);
  return {
    sql: `SELECT ${SELECT_COLUMNS}, ${scoreExpr} AS score ${sql} ORDER BY ${orderBy(filter)} LIMIT @limit OFFSET @offset`,
    params,
  };
}

export function buildCountQuery(caseId: string, filter: EvidenceFilter): BuiltQuery {
  const { sql, params } = fromAndWhere(caseId, filter);
  return { sql: `SELECT COUNT(*) AS n ${sql}`, params };
}
