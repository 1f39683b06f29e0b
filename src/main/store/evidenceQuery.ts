import type Database from 'better-sqlite3';
import { ANALYSIS_IDS } from '../../contract/analyses';
import type { EvidenceFilter } from '../../contract/case';
import { SCORE_TASKS, VERDICTS } from '../../contract/case';
import { StoreError } from './errors';
import { statement } from './statements';

/**
 * The gallery query: a page of evidence in the requested order, filtered, in time that depends
 * on the page size and not on the size of the case.
 *
 * Lists read evidence_state (schema v4, evidenceState.ts): one row per item with its latest
 * result's status and scores and its current review, with an index for every order. A page is
 * found by walking one index from a cursor (keyset paging): `after` the last item of the page
 * before, `before` the first item of the page after, from the start, or from the end. Only the
 * ids of the page are found this way; their columns are then read by primary key. Nothing sorts
 * the whole case, and no large JSON column (metadata, ELA, per-crop scores) is read for a list.
 *
 * An order is a list of segments, each one index walk: a score order is the scored items by
 * score, then the unscored by id (unscored last in both directions).
 */

type Direction = 'ASC' | 'DESC';

interface Key {
  expr: string;
  dir: Direction;
  collate?: 'NOCASE';
}

interface Segment {
  /** Extra condition selecting this segment's rows. */
  where: string;
  /** Sort keys; the last is always the evidence id. */
  keys: Key[];
}

interface Ordering {
  /** Identifies the order (and filter-independent source) a cursor belongs to. */
  signature: string;
  from: string;
  idExpr: string;
  scoreExpr: string;
  segments: Segment[];
}

/** Where a page starts: after/before a cursor, at either end, or at an offset from the start. */
export type PageStart = { kind: 'start' } | { kind: 'end' } | { kind: 'after'; cursor: string } | { kind: 'before'; cursor: string } | { kind: 'offset'; offset: number };

export interface PageRow {
  id: number;
  score: number | null;
  cursor: string;
}

interface DecodedCursor {
  o: string;
  g: number;
  k: (number | string)[];
}

function checkNumber(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isFinite(value) || value < min)) {
    throw new StoreError('INVALID', `${name} must be a number >= ${min}, got ${value}`);
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function ordering(filter: EvidenceFilter): Ordering {
  const desc = filter.descending === true;
  const sort = filter.sort ?? 'time';
  let from = 'evidence_state AS s';
  let idExpr = 's.evidence_id';
  let scoreExpr = 's.score';
  let scoreName = 'max';
  if (filter.modelId !== undefined) {
    from = 'current_scores AS m JOIN evidence_state AS s ON s.evidence_id = m.evidence_id';
    // By score, walk the model's score index; by name or time, the item's index with a lookup of
    // the model's score per item.
    if (sort === 'score') idExpr = 'm.evidence_id';
    scoreExpr = 'm.score';
    scoreName = `model:${filter.modelId}`;
  } else if (filter.scoreTask !== undefined) {
    if (!SCORE_TASKS.includes(filter.scoreTask)) throw new StoreError('INVALID', `unknown score task "${String(filter.scoreTask)}"`);
    scoreExpr = `s.score_${filter.scoreTask}`;
    scoreName = `task:${filter.scoreTask}`;
  }
  let segments: Segment[];
  switch (sort) {
    case 'time':
      segments = [{ where: '', keys: [{ expr: idExpr, dir: desc ? 'DESC' : 'ASC' }] }];
      break;
    case 'name':
      segments = [{ where: '', keys: [{ expr: 's.file_name', dir: desc ? 'DESC' : 'ASC', collate: 'NOCASE' }, { expr: idExpr, dir: desc ? 'DESC' : 'ASC' }] }];
      break;
    case 'score':
      // Highest first by default. The indexes are (score DESC, id), so the default walks them
      // forwards and the reverse backwards: equal scores come by id ASC, reversed by id DESC.
      segments = [{ where: `${scoreExpr} IS NOT NULL`, keys: [{ expr: scoreExpr, dir: desc ? 'ASC' : 'DESC' }, { expr: idExpr, dir: desc ? 'DESC' : 'ASC' }] }];
      // A model's scores are never null (items without one are not listed): one segment.
      if (filter.modelId === undefined) segments.push({ where: `${scoreExpr} IS NULL`, keys: [{ expr: idExpr, dir: 'ASC' }] });
      break;
    default:
      throw new StoreError('INVALID', `unknown sort "${String(sort)}"`);
  }
  return { signature: `${sort}:${desc ? 'desc' : 'asc'}:${scoreName}`, from, idExpr, scoreExpr, segments };
}

/** WHERE conditions and parameters of a filter (everything but the order and the page). */
function conditions(caseId: string, filter: EvidenceFilter, order: Ordering): { where: string[]; params: Record<string, string | number> } {
  const params: Record<string, string | number> = { caseId };
  const where = ['s.case_id = @caseId'];
  if (filter.modelId !== undefined) {
    params.modelId = filter.modelId;
    where.push('m.model_id = @modelId');
  }
  if (filter.verdict !== undefined) {
    if (filter.verdict === 'unreviewed') where.push('s.verdict IS NULL');
    else {
      if (!VERDICTS.includes(filter.verdict)) throw new StoreError('INVALID', `unknown verdict "${String(filter.verdict)}"`);
      params.verdict = filter.verdict;
      where.push('s.verdict = @verdict');
    }
  }
  if (filter.flagged !== undefined) {
    params.flagged = filter.flagged ? 1 : 0;
    where.push('s.flagged = @flagged');
  }
  if (filter.analysisFlag !== undefined) {
    // A forensic analysis flagged the item (store/findings.ts; analysis_findings_flagged index).
    if (filter.analysisFlag === 'any') {
      where.push('EXISTS (SELECT 1 FROM analysis_findings AS af WHERE af.flagged = 1 AND af.evidence_id = s.evidence_id)');
    } else {
      if (!(ANALYSIS_IDS as readonly string[]).includes(filter.analysisFlag)) {
        throw new StoreError('INVALID', `unknown analysis "${String(filter.analysisFlag)}"`);
      }
      params.analysisFlag = filter.analysisFlag;
      where.push('EXISTS (SELECT 1 FROM analysis_findings AS af WHERE af.flagged = 1 AND af.analysis = @analysisFlag AND af.evidence_id = s.evidence_id)');
    }
  }
  if (filter.hasError !== undefined) where.push(filter.hasError ? "s.status = 'error'" : "(s.status IS NULL OR s.status <> 'error')");
  if (filter.analysed !== undefined) where.push(filter.analysed ? 's.result_id IS NOT NULL' : 's.result_id IS NULL');
  checkNumber('scoreMin', filter.scoreMin, -Infinity);
  checkNumber('scoreMax', filter.scoreMax, -Infinity);
  if (filter.scoreMin !== undefined) {
    params.scoreMin = filter.scoreMin;
    where.push(`${order.scoreExpr} >= @scoreMin`);
  }
  if (filter.scoreMax !== undefined) {
    params.scoreMax = filter.scoreMax;
    where.push(`${order.scoreExpr} <= @scoreMax`);
  }
  if (filter.text !== undefined && filter.text !== '') {
    params.text = `%${escapeLike(filter.text)}%`;
    where.push("s.file_name LIKE @text ESCAPE '\\'");
  }
  return { where, params };
}

const flip = (d: Direction): Direction => (d === 'ASC' ? 'DESC' : 'ASC');
const keySql = (k: Key): string => (k.collate ? `${k.expr} COLLATE ${k.collate}` : k.expr);

/**
 * Rows strictly after the key values `values` in the order of `keys`. Written as a range on the
 * first key plus a tie-break, so the index walk starts at the cursor instead of filtering from
 * the beginning of the index.
 */
function afterCondition(keys: Key[], values: (string | number)[], params: Record<string, string | number>): string {
  const [first, second] = keys;
  params.k0 = values[0]!;
  const e0 = keySql(first!);
  if (!second) return `${e0} ${first!.dir === 'ASC' ? '>' : '<'} @k0`;
  params.k1 = values[1]!;
  const e1 = keySql(second);
  return `${e0} ${first!.dir === 'ASC' ? '>=' : '<='} @k0 AND (${e0} ${first!.dir === 'ASC' ? '>' : '<'} @k0 OR ${e1} ${second.dir === 'ASC' ? '>' : '<'} @k1)`;
}

function encodeCursor(c: DecodedCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(token: string, order: Ordering): DecodedCursor {
  let c: DecodedCursor;
  try {
    c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DecodedCursor;
  } catch {
    throw new StoreError('INVALID', 'the page cursor is not one this list gave out');
  }
  const segment = order.segments[c?.g];
  if (!c || c.o !== order.signature || !segment || !Array.isArray(c.k) || c.k.length !== segment.keys.length) {
    throw new StoreError('INVALID', 'the page cursor belongs to another order or filter; start the list again');
  }
  return c;
}

/**
 * The ids (and sort score, and each row's cursor) of one page, in list order. At most one
 * index walk per segment of the order, each limited to the page size.
 */
export function pageIds(db: Database.Database, caseId: string, filter: EvidenceFilter, start: PageStart, limit: number | null): PageRow[] {
  if (limit !== null) checkNumber('limit', limit, 0);
  const order = ordering(filter);
  const base = conditions(caseId, filter, order);
  const backwards = start.kind === 'before' || start.kind === 'end';
  // null: every item (SQLite's LIMIT -1).
  const n = limit === null ? Number.POSITIVE_INFINITY : Math.floor(limit);
  if (n === 0) return [];

  let cursor: DecodedCursor | undefined;
  if (start.kind === 'after' || start.kind === 'before') cursor = decodeCursor(start.cursor, order);
  // Segment indexes in walking order.
  const walk = order.segments.map((_, g) => g);
  if (backwards) walk.reverse();
  const firstSegment = cursor ? walk.indexOf(cursor.g) : 0;
  let skip = start.kind === 'offset' ? Math.floor(start.offset) : 0;
  if (start.kind === 'offset') checkNumber('offset', start.offset, 0);

  const rows: PageRow[] = [];
  for (let w = firstSegment; w < walk.length && rows.length < n; w++) {
    const g = walk[w]!;
    const segment = order.segments[g]!;
    const keys = backwards ? segment.keys.map((k) => ({ ...k, dir: flip(k.dir) })) : segment.keys;
    const params: Record<string, string | number> = { ...base.params, limit: limit === null ? -1 : n - rows.length, offset: skip };
    const where = [...base.where];
    if (segment.where) where.push(segment.where);
    if (cursor && g === cursor.g) where.push(afterCondition(keys, cursor.k, params));
    const keyColumns = segment.keys.map((k, i) => `${k.expr} AS k${i}`).join(', ');
    const sql = `SELECT ${order.idExpr} AS id, ${order.scoreExpr} AS score, ${keyColumns} FROM ${order.from}
      WHERE ${where.join(' AND ')}
      ORDER BY ${keys.map((k) => `${keySql(k)} ${k.dir}`).join(', ')}
      LIMIT @limit OFFSET @offset`;
    const found = statement(db, sql).all(params) as Record<string, number | string | null>[];
    for (const r of found) {
      const k = segment.keys.map((_, i) => r[`k${i}`] as number | string);
      rows.push({ id: r.id as number, score: r.score as number | null, cursor: encodeCursor({ o: order.signature, g, k }) });
    }
    if (skip > 0) {
      // An offset past this segment continues in the next one, less what this one holds.
      if (found.length > 0) skip = 0;
      else {
        const count = statement(db, `SELECT COUNT(*) FROM ${order.from} WHERE ${[...base.where, ...(segment.where ? [segment.where] : [])].join(' AND ')}`)
          .pluck()
          .get(base.params) as number;
        skip = Math.max(0, skip - count);
      }
    }
  }
  return backwards ? rows.reverse() : rows;
}

/** How many items match `filter` (paging fields ignored). */
export function countItems(db: Database.Database, caseId: string, filter: EvidenceFilter): number {
  const order = ordering(filter);
  const { where, params } = conditions(caseId, filter, order);
  return statement(db, `SELECT COUNT(*) FROM ${order.from} WHERE ${where.join(' AND ')}`).pluck().get(params) as number;
}

/** The SQL of the page queries for `filter` (for EXPLAIN QUERY PLAN in tests and benches). */
export function pageQueryPlans(db: Database.Database, caseId: string, filter: EvidenceFilter): string[][] {
  const order = ordering(filter);
  const base = conditions(caseId, filter, order);
  return order.segments.map((segment) => {
    const where = [...base.where, ...(segment.where ? [segment.where] : [])];
    const params: Record<string, string | number> = { ...base.params, limit: 200, offset: 0 };
    where.push(afterCondition(segment.keys, segment.keys.map((k) => (k.expr.endsWith('file_name') ? 'm' : 0.5)), params));
    const sql = `SELECT ${order.idExpr} AS id FROM ${order.from} WHERE ${where.join(' AND ')}
      ORDER BY ${segment.keys.map((k) => `${keySql(k)} ${k.dir}`).join(', ')} LIMIT @limit OFFSET @offset`;
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
  });
}
