import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import type {
  AnalysisRun,
  AuditEntry,
  AuditInput,
  Case,
  CaseInput,
  CasePatch,
  EvidenceFilter,
  EvidenceItem,
  GalleryPage,
  Review,
  ReviewInput,
  RunParameters,
  RunStatus,
  StoredResult,
} from '../../contract/case';
import { VERDICTS } from '../../contract/case';
import type { AnalysisRecord, EvidenceMetadata, FileError } from '../../contract/evidence';
import { appendAudit, toAuditEntry, type RawAuditRow } from './audit';
import { canonicalJson } from './canonicalJson';
import { StoreError } from './errors';
import { countItems, pageIds, type PageRow, type PageStart } from './evidenceQuery';
import { refreshEvidenceState } from './evidenceState';
import { rowDigest, type AuditedEntity } from './rowDigest';
import { statement } from './statements';
import {
  toCase,
  toEvidenceItem,
  toGalleryItem,
  toResult,
  toReview,
  toRun,
  type CaseRow,
  type EvidenceJoinRow,
  type GalleryRow,
  type ResultRow,
  type ReviewRow,
  type RunRow,
} from './rows';

/** Whole items (latest result and current review joined) for a JSON array of evidence ids. */
const ITEMS_BY_ID = `
  SELECT e.*,
    r.id AS r_id, r.run_id AS r_run_id, r.status AS r_status, r.error_json AS r_error_json,
    r.ela_json AS r_ela_json, r.scores_json AS r_scores_json, r.warnings_json AS r_warnings_json,
    r.elapsed_ms AS r_elapsed_ms, r.analysed_at AS r_analysed_at, r.max_score AS r_max_score,
    v.id AS v_id, v.verdict AS v_verdict, v.notes AS v_notes, v.reviewer AS v_reviewer,
    v.flagged AS v_flagged, v.updated_at AS v_updated_at,
    s.score AS score
  FROM evidence_state AS s
  JOIN evidence AS e ON e.id = s.evidence_id
  LEFT JOIN results AS r ON r.id = s.result_id
  LEFT JOIN reviews AS v ON v.id = s.review_id
  WHERE s.evidence_id IN (SELECT value FROM json_each(?))`;

/** Gallery rows (no metadata, ELA or per-crop scores) for a JSON array of evidence ids. */
const GALLERY_BY_ID = `
  SELECT s.evidence_id, e.path, s.file_name, e.sha256, e.size, e.format, e.width, e.height, e.ingested_at,
    e.imported_path, e.storage, s.refused, s.result_id, s.status, r.error_json, s.score_generated,
    s.score_manipulated, s.score_face, s.scores_brief, s.verdict, s.review_flagged, s.flagged
  FROM evidence_state AS s
  JOIN evidence AS e ON e.id = s.evidence_id
  LEFT JOIN results AS r ON r.id = s.result_id
  WHERE s.evidence_id IN (SELECT value FROM json_each(?))`;

/** Where a filter asks its page to start. */
function pageStart(filter: EvidenceFilter): PageStart {
  const asked = [filter.after !== undefined, filter.before !== undefined, filter.fromEnd === true, (filter.offset ?? 0) > 0].filter(Boolean).length;
  if (asked > 1) throw new StoreError('INVALID', 'give at most one of after, before, fromEnd and offset');
  if (filter.after !== undefined) return { kind: 'after', cursor: filter.after };
  if (filter.before !== undefined) return { kind: 'before', cursor: filter.before };
  if (filter.fromEnd) return { kind: 'end' };
  if (filter.offset !== undefined) return { kind: 'offset', offset: filter.offset };
  return { kind: 'start' };
}

export interface CaseStoreContext {
  db: Database.Database;
  caseDir: string;
  /** Folder for files the app derives from evidence (heatmaps, previews); never the evidence itself. */
  derivedDir: string;
  /** Who the audit log names for changes that carry no reviewer. */
  actor: string;
  /** ISO-8601 time of a change. */
  now: () => string;
}

/** Error codes after which a resumed run should try the file again. */
const RETRY_ON_RESUME: ReadonlySet<string> = new Set(['CANCELLED']);

const CASE_FIELDS = ['name', 'number', 'examiner', 'organisation', 'description'] as const;

/**
 * One case folder's database. Every method is synchronous (better-sqlite3). Every change runs
 * in one IMMEDIATE transaction together with its audit entry, so a change is never committed
 * without its entry and an entry never describes a change that rolled back.
 */
export class CaseStore {
  readonly db: Database.Database;
  readonly caseDir: string;
  readonly derivedDir: string;
  private readonly actor: string;
  private readonly now: () => string;

  constructor(ctx: CaseStoreContext) {
    this.db = ctx.db;
    this.caseDir = ctx.caseDir;
    this.derivedDir = ctx.derivedDir;
    this.actor = ctx.actor;
    this.now = ctx.now;
  }

  /**
   * Runs `fn` in one transaction: several store calls (an import batch, say) commit together.
   * Each call still writes its own audit entry; nested calls become savepoints.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** A cached prepared statement (see statements.ts). */
  private sql(text: string): Database.Statement {
    return statement(this.db, text);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- audit

  audit(input: AuditInput): AuditEntry {
    if (!input.action || !input.entity) throw new StoreError('INVALID', 'an audit entry needs an action and an entity');
    return this.transaction(() => this.appendAudit(input));
  }

  /** The last entry's sequence number and hash (what an anchor pins), null for an empty log. */
  auditHead(): { seq: number; hash: string } | null {
    return (this.sql('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? null;
  }

  /** Audit entries in seq order, optionally only those about one entity or after a seq. */
  auditLog(options: { entity?: string; entityId?: string | number; afterSeq?: number; limit?: number } = {}): AuditEntry[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (options.entity !== undefined) {
      where.push('entity = @entity');
      params.entity = options.entity;
    }
    if (options.entityId !== undefined) {
      where.push('entity_id = @entityId');
      params.entityId = String(options.entityId);
    }
    if (options.afterSeq !== undefined) {
      where.push('seq > @afterSeq');
      params.afterSeq = options.afterSeq;
    }
    params.limit = options.limit ?? -1;
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT @limit`;
    return (this.sql(sql).all(params) as RawAuditRow[]).map(toAuditEntry);
  }

  private appendAudit(input: AuditInput): AuditEntry {
    return appendAudit(this.db, {
      at: this.now(),
      actor: input.actor ?? this.actor,
      action: input.action,
      entity: input.entity,
      entityId: input.entityId,
      details: input.details,
    });
  }

  /** Audit entry for a row change, carrying the digest that ties the entry to the row. */
  private auditRow(entity: AuditedEntity, id: string | number, action: string, details: Record<string, unknown>, actor?: string): void {
    const digest = rowDigest(this.db, entity, id);
    this.appendAudit({ action, entity, entityId: id, details: { ...details, digest }, actor });
  }

  // ---------------------------------------------------------------- case

  /** Creates the folder's case. A case folder holds one case: a second call is a CONFLICT. */
  createCase(input: CaseInput): Case {
    const name = input.name?.trim();
    if (!name) throw new StoreError('INVALID', 'a case needs a name');
    return this.transaction(() => {
      const existing = this.getCase();
      if (existing) {
        throw new StoreError('CONFLICT', `this folder already holds case "${existing.name}" (${existing.id})`);
      }
      const id = randomUUID();
      this.sql(
        `INSERT INTO cases (id, name, number, examiner, organisation, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(id, name, input.number ?? '', input.examiner ?? '', input.organisation ?? '', input.description ?? '', this.now());
      this.auditRow('case', id, 'case.create', { name, number: input.number ?? '' });
      return this.requireCase();
    });
  }

  getCase(): Case | null {
    const row = this.sql('SELECT * FROM cases ORDER BY created_at, id LIMIT 1').get() as CaseRow | undefined;
    return row ? toCase(row) : null;
  }

  updateCase(patch: CasePatch): Case {
    if (patch.name !== undefined && !patch.name.trim()) throw new StoreError('INVALID', 'a case needs a name');
    return this.transaction(() => {
      const current = this.requireCase();
      const changed: Record<string, { from: string; to: string }> = {};
      for (const field of CASE_FIELDS) {
        const value = patch[field];
        if (value === undefined) continue;
        const next = field === 'name' ? value.trim() : value;
        if (next !== current[field]) changed[field] = { from: current[field], to: next };
      }
      if (Object.keys(changed).length === 0) return current;
      const sets = Object.keys(changed).map((f) => `${f} = @${f}`).join(', ');
      const values = Object.fromEntries(Object.entries(changed).map(([f, c]) => [f, c.to]));
      this.sql(`UPDATE cases SET ${sets} WHERE id = @id`).run({ ...values, id: current.id });
      this.auditRow('case', current.id, 'case.update', { changed });
      return this.requireCase();
    });
  }

  private requireCase(): Case {
    const c = this.getCase();
    if (!c) throw new StoreError('NO_CASE', 'this folder has no case yet: create the case first');
    return c;
  }

  // ---------------------------------------------------------------- evidence

  /**
   * Adds one imported image. Idempotent on (sha256, submitted path): importing the same file
   * again returns the existing item unchanged. The same bytes under another path, or changed
   * bytes under the same path, are a different item. `copy` is where the importer copied the
   * file inside the case folder (its hash already checked): the item is then read from there.
   */
  addEvidence(metadata: EvidenceMetadata, copy?: { path: string }): EvidenceItem {
    if (!/^[0-9a-f]{64}$/.test(metadata.sha256)) {
      throw new StoreError('INVALID', `evidence sha256 must be 64 lowercase hex digits, got "${metadata.sha256}"`);
    }
    return this.transaction(() => {
      const c = this.requireCase();
      const existing = this.findEvidence(metadata.sha256, metadata.path);
      if (existing) return existing;
      const { lastInsertRowid } = this.sql(
        `INSERT INTO evidence (case_id, path, file_name, sha256, size, format, width, height, metadata_json, ingested_at, imported_path, storage)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        c.id,
        copy?.path ?? metadata.path,
        metadata.fileName,
        metadata.sha256,
        metadata.sizeBytes,
        metadata.format,
        metadata.width,
        metadata.height,
        canonicalJson(metadata),
        this.now(),
        metadata.path,
        copy ? 'copy' : 'original',
      );
      const id = Number(lastInsertRowid);
      refreshEvidenceState(this.db, id);
      this.auditRow('evidence', id, 'evidence.add', { path: metadata.path, sha256: metadata.sha256, ...(copy ? { copy: copy.path } : {}) });
      return this.requireEvidence(id);
    });
  }

  /**
   * Adds a file the import refused (empty, not an image, too many pixels, unreadable, a folder
   * that loops): it is an item of the case like any other, with its SHA-256 and size when they
   * could be read, so the gallery, the evidence table and the report count it. The reason is
   * its error result (recordResult). Idempotent on (path, sha256) among refused items.
   */
  addRefusedFile(input: { path: string; sha256?: string | null; sizeBytes?: number | null; reason: FileError }): EvidenceItem {
    const sha256 = input.sha256 ?? null;
    if (sha256 !== null && !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new StoreError('INVALID', `evidence sha256 must be 64 lowercase hex digits, got "${sha256}"`);
    }
    return this.transaction(() => {
      const c = this.requireCase();
      const existing = this.sql(
        'SELECT id FROM evidence WHERE case_id = ? AND imported_path = ? AND sha256 IS ? AND metadata_json IS NULL ORDER BY id LIMIT 1',
      ).get(c.id, input.path, sha256) as { id: number } | undefined;
      if (existing) return this.requireEvidence(existing.id);
      const { lastInsertRowid } = this.sql(
        `INSERT INTO evidence (case_id, path, file_name, sha256, size, ingested_at, imported_path, storage)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'original')`,
      ).run(c.id, input.path, basename(input.path) || input.path, sha256, input.sizeBytes ?? null, this.now(), input.path);
      const id = Number(lastInsertRowid);
      refreshEvidenceState(this.db, id);
      this.auditRow('evidence', id, 'evidence.add', { path: input.path, sha256, refused: input.reason.code });
      return this.requireEvidence(id);
    });
  }

  /**
   * Points an item at the file found at `path` after the evidence moved (a relink by hash; the
   * caller has checked that the file there has the item's SHA-256). The submitted path is kept;
   * the audit entry records where the item was read from before and after.
   */
  relinkEvidence(id: number, path: string, details: { sha256: string; actor?: string }): EvidenceItem {
    return this.transaction(() => {
      const item = this.requireEvidence(id);
      if (item.sha256 === null || item.sha256 !== details.sha256) {
        throw new StoreError('CONFLICT', `${path} does not have the SHA-256 of evidence ${id}; it cannot be relinked to it`);
      }
      if (item.path === path) return item;
      this.sql("UPDATE evidence SET path = ?, storage = 'relinked' WHERE id = ?").run(path, id);
      this.auditRow('evidence', id, 'evidence.relink', { from: item.path, to: path, importedPath: item.importedPath, sha256: item.sha256 }, details.actor);
      return this.requireEvidence(id);
    });
  }

  /** The image item imported from `path` with these bytes (refused items are not matched). */
  findEvidence(sha256: string, path: string): EvidenceItem | null {
    const c = this.getCase();
    if (!c) return null;
    const row = this.sql('SELECT id FROM evidence WHERE case_id = ? AND sha256 = ? AND imported_path = ? AND metadata_json IS NOT NULL')
      .get(c.id, sha256, path) as { id: number } | undefined;
    return row ? this.getEvidence(row.id) : null;
  }

  getEvidence(id: number): EvidenceItem | null {
    const row = this.sql(ITEMS_BY_ID).get(JSON.stringify([id])) as EvidenceJoinRow | undefined;
    return row ? toEvidenceItem(row) : null;
  }

  private requireEvidence(id: number): EvidenceItem {
    const item = this.getEvidence(id);
    if (!item) throw new StoreError('NOT_FOUND', `no evidence item with id ${id} in this case`);
    return item;
  }

  /** The ids of one page (see evidenceQuery.ts); no limit lists everything. */
  private page(filter: EvidenceFilter): PageRow[] {
    const c = this.getCase();
    if (!c) return [];
    return pageIds(this.db, c.id, filter, pageStart(filter), filter.limit ?? null);
  }

  /**
   * A page of whole evidence items (latest result and current review), in the filter's order.
   * Every column is read, metadata and per-crop scores included: for reports and detail views.
   * Lists of tiles use listGallery.
   */
  listEvidence(filter: EvidenceFilter = {}): EvidenceItem[] {
    const rows = this.page(filter);
    if (rows.length === 0) return [];
    const byId = new Map((this.sql(ITEMS_BY_ID).all(JSON.stringify(rows.map((r) => r.id))) as EvidenceJoinRow[]).map((r) => [r.id, r]));
    return rows.map((p) => toEvidenceItem({ ...byId.get(p.id)!, score: p.score }));
  }

  /**
   * A page of gallery tiles in the filter's order, with cursors to page on from either end.
   * Costs the page, not the case: one index walk, then the page's rows by primary key. The total
   * (a count over the matching items) is left out with `withTotal: false`.
   */
  listGallery(filter: EvidenceFilter = {}, options: { withTotal?: boolean } = {}): GalleryPage {
    const rows = this.page(filter);
    const byId = new Map(
      rows.length === 0 ? [] : (this.sql(GALLERY_BY_ID).all(JSON.stringify(rows.map((r) => r.id))) as GalleryRow[]).map((r) => [r.evidence_id, r]),
    );
    const scoreBy = { modelId: filter.modelId, task: filter.modelId === undefined ? filter.scoreTask : undefined };
    return {
      items: rows.map((p) => toGalleryItem(byId.get(p.id)!, p.score, scoreBy)),
      total: options.withTotal === false ? null : this.countEvidence(filter),
      firstCursor: rows[0]?.cursor ?? null,
      lastCursor: rows.at(-1)?.cursor ?? null,
    };
  }

  /** How many items match `filter` (paging fields ignored). */
  countEvidence(filter: EvidenceFilter = {}): number {
    const c = this.getCase();
    if (!c) return 0;
    return countItems(this.db, c.id, filter);
  }

  // ---------------------------------------------------------------- runs

  startRun(input: { parameters: RunParameters; softwareVersion: string }): AnalysisRun {
    return this.transaction(() => {
      const c = this.requireCase();
      const { lastInsertRowid } = this.sql(
        `INSERT INTO analysis_runs (case_id, started_at, status, parameters_json, software_version)
         VALUES (?, ?, 'running', ?, ?)`,
      ).run(c.id, this.now(), canonicalJson(input.parameters), input.softwareVersion);
      const id = Number(lastInsertRowid);
      this.auditRow('run', id, 'run.start', {
        softwareVersion: input.softwareVersion,
        models: input.parameters.models,
        provider: input.parameters.provider,
      });
      return this.requireRun(id);
    });
  }

  getRun(id: number): AnalysisRun | null {
    const row = this.sql('SELECT * FROM analysis_runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  listRuns(): AnalysisRun[] {
    return (this.sql('SELECT * FROM analysis_runs ORDER BY id').all() as RunRow[]).map(toRun);
  }

  private requireRun(id: number): AnalysisRun {
    const run = this.getRun(id);
    if (!run) throw new StoreError('NOT_FOUND', `no analysis run with id ${id}`);
    return run;
  }

  finishRun(id: number, status: Exclude<RunStatus, 'running'>): AnalysisRun {
    if (!['completed', 'cancelled', 'failed'].includes(status)) {
      throw new StoreError('INVALID', `a run finishes as completed, cancelled or failed, not "${status}"`);
    }
    return this.transaction(() => {
      const run = this.requireRun(id);
      if (run.status !== 'running') {
        throw new StoreError('CONFLICT', `run ${id} already finished as ${run.status}`);
      }
      this.sql('UPDATE analysis_runs SET status = ?, finished_at = ? WHERE id = ?').run(status, this.now(), id);
      const results = this.sql("SELECT COUNT(*) AS n, SUM(status = 'error') AS errors FROM results WHERE run_id = ?")
        .get(id) as { n: number; errors: number | null };
      this.auditRow('run', id, 'run.finish', { status, results: results.n, errors: results.errors ?? 0 });
      return this.requireRun(id);
    });
  }

  /**
   * The run to offer for resuming: the newest run that never finished (still 'running' because
   * the app stopped mid-run) or that the user cancelled. Null when the newest run completed or
   * failed, or there is none.
   */
  resumableRun(): AnalysisRun | null {
    const row = this.sql('SELECT * FROM analysis_runs ORDER BY id DESC LIMIT 1').get() as RunRow | undefined;
    if (!row || (row.status !== 'running' && row.status !== 'cancelled')) return null;
    return toRun(row);
  }

  /** Puts a cancelled run (or one left 'running' by a crash) back to 'running' so results can be recorded. */
  resumeRun(id: number): AnalysisRun {
    return this.transaction(() => {
      const run = this.requireRun(id);
      if (run.status !== 'running' && run.status !== 'cancelled') {
        throw new StoreError('CONFLICT', `run ${id} ${run.status}; start a new run instead`);
      }
      this.sql("UPDATE analysis_runs SET status = 'running', finished_at = NULL WHERE id = ?").run(id);
      this.auditRow('run', id, 'run.resume', { previousStatus: run.status, done: this.finishedEvidenceIds(id).length });
      return this.requireRun(id);
    });
  }

  /**
   * Evidence ids a resumed run can skip: every item with a result in this run, except results
   * that were errors because the run was cancelled mid-file (those are tried again).
   */
  finishedEvidenceIds(runId: number): number[] {
    const rows = this.sql('SELECT evidence_id, status, error_json FROM results WHERE run_id = ? ORDER BY evidence_id')
      .all(runId) as { evidence_id: number; status: string; error_json: string | null }[];
    return rows
      .filter((r) => r.status === 'ok' || !RETRY_ON_RESUME.has((JSON.parse(r.error_json ?? '{}') as { code?: string }).code ?? ''))
      .map((r) => r.evidence_id);
  }

  // ---------------------------------------------------------------- results

  /**
   * Stores what `runId` learned about `evidenceId`. Upsert on (run, evidence): recording again
   * (a resumed run re-doing the file in flight) replaces the row instead of adding one, and an
   * identical record changes nothing and writes no audit entry. The run must be 'running', and
   * a record carrying a sha256 must match the evidence's: otherwise the file changed since
   * import and its result must not be filed under the imported item.
   */
  recordResult(runId: number, evidenceId: number, record: AnalysisRecord): StoredResult {
    if (record.status !== 'ok' && record.status !== 'error') {
      throw new StoreError('INVALID', `result status must be ok or error, got "${String(record.status)}"`);
    }
    const badScore = (record.scores ?? []).find((s) => !Number.isFinite(s.score));
    if (badScore) {
      throw new StoreError('INVALID', `model ${badScore.modelId} gave a non-finite score (${badScore.score}); record it as a model error`);
    }
    return this.transaction(() => {
      const run = this.requireRun(runId);
      if (run.status !== 'running') {
        throw new StoreError('CONFLICT', `run ${runId} is ${run.status}; resume it before recording results`);
      }
      const evidence = this.sql('SELECT sha256, metadata_json IS NULL AS refused FROM evidence WHERE id = ?').get(evidenceId) as
        | { sha256: string | null; refused: number }
        | undefined;
      if (!evidence) throw new StoreError('NOT_FOUND', `no evidence item with id ${evidenceId} in this case`);
      if (evidence.refused && record.status !== 'error') {
        throw new StoreError('INVALID', `evidence ${evidenceId} was refused at import; only its error can be recorded`);
      }
      if (record.sha256 !== undefined && record.sha256 !== evidence.sha256) {
        throw new StoreError(
          'CONFLICT',
          `${record.path} now hashes to ${record.sha256}, but evidence ${evidenceId} was imported as ` +
            `${evidence.sha256}: the file changed since import; import it again as new evidence`,
        );
      }
      const scores = record.scores ?? [];
      const maxScore = scores.length ? Math.max(...scores.map((s) => s.score)) : null;
      const existing = this.sql('SELECT id FROM results WHERE run_id = ? AND evidence_id = ?').get(runId, evidenceId) as
        | { id: number }
        | undefined;
      const digestBefore = existing ? rowDigest(this.db, 'result', existing.id) : null;

      const { id } = this.sql(
        `INSERT INTO results (run_id, evidence_id, status, error_json, ela_json, scores_json, warnings_json,
                              elapsed_ms, analysed_at, max_score)
         VALUES (@runId, @evidenceId, @status, @error, @ela, @scores, @warnings, @elapsedMs, @analysedAt, @maxScore)
         ON CONFLICT (run_id, evidence_id) DO UPDATE SET
           status = excluded.status, error_json = excluded.error_json, ela_json = excluded.ela_json,
           scores_json = excluded.scores_json, warnings_json = excluded.warnings_json,
           elapsed_ms = excluded.elapsed_ms, analysed_at = excluded.analysed_at, max_score = excluded.max_score
         RETURNING id`,
      ).get({
        runId,
        evidenceId,
        status: record.status,
        error: record.error ? canonicalJson(record.error) : null,
        ela: record.ela ? canonicalJson(record.ela) : null,
        scores: canonicalJson(scores),
        warnings: canonicalJson(record.warnings ?? []),
        elapsedMs: record.elapsedMs,
        analysedAt: record.analysedAt,
        maxScore,
      }) as { id: number };

      this.sql('DELETE FROM result_scores WHERE result_id = ?').run(id);
      const insertScore = this.sql(
        `INSERT INTO result_scores (result_id, model_id, score) VALUES (?, ?, ?)
         ON CONFLICT (result_id, model_id) DO UPDATE SET score = MAX(score, excluded.score)`,
      );
      for (const s of scores) insertScore.run(id, s.modelId, s.score);
      refreshEvidenceState(this.db, evidenceId);

      if (rowDigest(this.db, 'result', id) !== digestBefore) {
        this.auditRow('result', id, 'result.record', {
          runId,
          evidenceId,
          status: record.status,
          errorCode: record.error?.code,
          maxScore,
          replaced: existing !== undefined,
        });
      }
      return this.getResult(id)!;
    });
  }

  getResult(id: number): StoredResult | null {
    const row = this.sql('SELECT * FROM results WHERE id = ?').get(id) as ResultRow | undefined;
    return row ? toResult(row) : null;
  }

  /** Every result of one item, oldest analysis first. */
  resultsFor(evidenceId: number): StoredResult[] {
    const rows = this.sql('SELECT * FROM results WHERE evidence_id = ? ORDER BY analysed_at, id')
      .all(evidenceId) as ResultRow[];
    return rows.map(toResult);
  }

  // ---------------------------------------------------------------- reviews

  /**
   * Appends a review: fields left out keep their current value. The audit entry names the
   * reviewer. Nothing is written when the review would be identical to the current one
   * (same reviewer, verdict, notes and flag); a second reviewer confirming is recorded.
   */
  setReview(evidenceId: number, input: ReviewInput): Review {
    const reviewer = input.reviewer?.trim();
    if (!reviewer) throw new StoreError('INVALID', 'a review needs the reviewer\'s name');
    if (input.verdict !== undefined && input.verdict !== null && !VERDICTS.includes(input.verdict)) {
      throw new StoreError('INVALID', `verdict must be one of ${VERDICTS.join(', ')}, got "${String(input.verdict)}"`);
    }
    return this.transaction(() => {
      const exists = this.sql('SELECT 1 FROM evidence WHERE id = ?').get(evidenceId);
      if (!exists) throw new StoreError('NOT_FOUND', `no evidence item with id ${evidenceId} in this case`);
      const current = this.currentReview(evidenceId);
      const next = {
        verdict: input.verdict !== undefined ? input.verdict : (current?.verdict ?? null),
        notes: input.notes ?? current?.notes ?? '',
        flagged: input.flagged ?? current?.flagged ?? false,
      };
      if (
        current &&
        current.reviewer === reviewer &&
        current.verdict === next.verdict &&
        current.notes === next.notes &&
        current.flagged === next.flagged
      ) {
        return current;
      }
      const { lastInsertRowid } = this.sql(
        'INSERT INTO reviews (evidence_id, verdict, notes, reviewer, flagged, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(evidenceId, next.verdict, next.notes, reviewer, next.flagged ? 1 : 0, this.now());
      const id = Number(lastInsertRowid);
      refreshEvidenceState(this.db, evidenceId);
      this.auditRow(
        'review',
        id,
        'review.set',
        {
          evidenceId,
          verdict: next.verdict,
          flagged: next.flagged,
          notesChanged: next.notes !== (current?.notes ?? ''),
          previousVerdict: current?.verdict ?? null,
        },
        reviewer,
      );
      return this.currentReview(evidenceId)!;
    });
  }

  currentReview(evidenceId: number): Review | null {
    const row = this.sql('SELECT * FROM reviews WHERE evidence_id = ? ORDER BY id DESC LIMIT 1')
      .get(evidenceId) as ReviewRow | undefined;
    return row ? toReview(row) : null;
  }

  /** Every review of one item, oldest first; the last is the current one. */
  reviewHistory(evidenceId: number): Review[] {
    return (this.sql('SELECT * FROM reviews WHERE evidence_id = ? ORDER BY id').all(evidenceId) as ReviewRow[]).map(
      toReview,
    );
  }
}
