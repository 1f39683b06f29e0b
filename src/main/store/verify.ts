import { join } from 'node:path';
import type { AnchorCheck, AnchorSource, AuditAnchor, EvidenceCheck, EvidenceStorage, RecordProblem, VerifyReport, VerifyStatus } from '../../contract/case';
import { EVIDENCE_CHECK_OK } from '../../contract/case';
import { sha256File } from '../ingest/hash';
import type { AnchorBook } from './anchors';
import { iterateAuditRows, verifyAuditChain, type RawAuditRow } from './audit';
import type { CaseStore } from './caseStore';
import { checkEvaluations, checkEvidenceState, checkResultScores, checkSplits } from './derivedChecks';
import { checkFindingFlags } from './findings';
import { AUDITED_TABLES, allRowDigests, type AuditedEntity } from './rowDigest';
import { CASE_ANCHOR_FILE, readAnchorLines } from './anchors';
import { canonicalJson } from './canonicalJson';

/** An anchor a report carries (read from the PDF by reports/pdfAnchor.ts), with the PDF's own hash. */
export interface ReportAnchor {
  anchor: AuditAnchor;
  /** The PDF, for messages. */
  file: string;
  /** SHA-256 of the PDF as given: the report.export entry must record exactly this. */
  sha256: string;
}

export interface VerifyOptions {
  /** Re-hash every evidence file from disk (default true). */
  rehashFiles?: boolean;
  /** Head (seq and hash) quoted by an earlier report or given by the examiner: detects entries removed from the end. */
  expectedHead?: { seq: number; hash: string };
  /** More heads the examiner gives (checked as anchors; expectedHead is one too). */
  expectedHeads?: { seq: number; hash: string }[];
  /** This installation's anchors and key (the app's state folder). Without it only the other sources count. */
  anchorBook?: AnchorBook;
  /** Anchors carried by reports the examiner gives (`provenance verify --report`). */
  reports?: ReportAnchor[];
  /** Files hashed at once (default 2: hashing is disk-bound). */
  concurrency?: number;
  onProgress?: (filesDone: number, filesTotal: number) => void;
  now?: () => Date;
}

/** Append-only triggers every current database has (schema.ts, migrations.ts). */
const REQUIRED_TRIGGERS = [
  'audit_log_no_update',
  'audit_log_no_delete',
  'audit_log_append_next',
  'reviews_no_update',
  'reviews_no_delete',
  'dataset_splits_no_update',
  'dataset_splits_no_delete',
  'evaluations_no_update',
  'evaluations_no_delete',
  'retraining_flags_no_update',
  'retraining_flags_no_delete',
];

/** Entities whose latest audit entry vouches for a row: the digested tables, splits and evaluations. */
const CHECKED_ENTITIES = new Set<string>([...Object.keys(AUDITED_TABLES), 'split', 'evaluation']);

interface LatestEntry {
  seq: number;
  action: string;
  actor: string;
  details: Record<string, unknown> | null;
}

interface Candidate {
  source: AnchorSource;
  seq: number;
  hash: string;
  anchor: AuditAnchor | null;
  report?: ReportAnchor;
}

/**
 * What another examiner runs on a handed-over case: (1) the audit chain recomputed end to end,
 * (2) every case, evidence, run, result, review, split, evaluation and retraining-flag row
 * compared with what its latest audit entry recorded, and every derived column (max_score,
 * result_scores, the columns evaluations and splits are listed by) recomputed, (3) the chain
 * held against every anchor available (the examiner's --expect-head, reports, this
 * installation's log, the case folder's copy), (4) every evidence file re-hashed from disk.
 * Reads only; evidence files are opened read-only.
 */
export async function verifyCase(store: CaseStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { db } = store;
  const caseRow = store.getCase();
  const candidates = gatherAnchors(store, caseRow?.id ?? null, options);
  const wantedSeqs = new Set(candidates.map((c) => c.seq));
  const reportIds = new Set((options.reports ?? []).map((r) => r.anchor.ref).filter((r): r is string => r !== null));

  // One read transaction so the chain and the rows are checked as of the same moment.
  const { chain, hashAt, exports, recordProblems, schemaProblems, evidenceRows } = db.transaction(() => {
    const latest = new Map<string, LatestEntry>();
    const latestDigest = new Map<string, { digest: string; seq: number }>();
    const hashAt = new Map<number, string>();
    const exports = new Map<string, string | null>();
    // Streamed: the chain walk also collects what the record checks and anchors need.
    function* rowsNoting(): Generator<RawAuditRow> {
      for (const row of iterateAuditRows(db)) {
        if (wantedSeqs.has(row.seq)) hashAt.set(row.seq, row.hash);
        if ((CHECKED_ENTITIES.has(row.entity) && row.entity_id !== null) || (row.action === 'report.export' && reportIds.size)) {
          const details = parseDetails(row);
          if (row.action === 'report.export' && details && typeof details.reportId === 'string' && reportIds.has(details.reportId)) {
            exports.set(details.reportId, typeof details.sha256 === 'string' ? details.sha256 : null);
          }
          if (CHECKED_ENTITIES.has(row.entity) && row.entity_id !== null) {
            const key = `${row.entity}:${row.entity_id}`;
            latest.set(key, { seq: row.seq, action: row.action, actor: row.actor, details });
            if (typeof details?.digest === 'string') latestDigest.set(key, { digest: details.digest, seq: row.seq });
          }
        }
        yield row;
      }
    }
    const chain = verifyAuditChain(rowsNoting(), options.expectedHead);
    return {
      chain,
      hashAt,
      exports,
      recordProblems: checkRecords(store, caseRow?.id ?? null, latest, latestDigest),
      schemaProblems: checkSchema(store),
      evidenceRows: db.prepare('SELECT id, path, sha256, imported_path, storage FROM evidence ORDER BY id').all() as EvidenceFileRow[],
    };
  }).deferred();

  const anchors = candidates.map((c) => checkAnchor(c, caseRow?.id ?? null, chain.head, hashAt, exports, options.anchorBook));
  // Same folder, another case: not this case's anchor, but worth saying (a rebuilt database gets a new case id).
  if (options.anchorBook && caseRow) {
    const other = options.anchorBook.anchorsFor(caseRow.id, store.caseDir).sameFolderOtherCase.at(-1);
    if (other) {
      anchors.push({
        source: 'installation',
        seq: other.seq,
        hash: other.hash,
        at: other.at,
        event: other.event,
        ref: other.ref,
        status: 'wrong-case',
        trusted: false,
        message: `this installation anchored a different case (${other.caseId}) in this folder on ${other.at}; if this case was not created here since, the database was replaced`,
      });
    }
  }

  const evidence = options.rehashFiles === false ? [] : await checkFiles(evidenceRows, options.concurrency ?? 2, options.onProgress);

  const chainIntact = chain.problems.length === 0;
  const anchorFailed = anchors.some((a) => a.trusted && a.status !== 'match');
  const ok = chainIntact && recordProblems.length === 0 && schemaProblems.length === 0 && !anchorFailed && evidence.every((e) => EVIDENCE_CHECK_OK.includes(e.status));
  const matched = anchors.filter((a) => a.trusted && a.status === 'match').sort((a, b) => b.seq - a.seq)[0];
  const anchored = matched ? { seq: matched.seq, hash: matched.hash, source: matched.source, at: matched.at } : null;
  const status: VerifyStatus = !ok ? 'failed' : anchored ? 'verified' : 'not-anchored';
  return {
    chainIntact,
    chainProblems: chain.problems,
    recordProblems,
    schemaProblems,
    evidence,
    auditEntries: chain.count,
    head: chain.head,
    anchors,
    anchored,
    unanchoredEntries: (chain.head?.seq ?? 0) - (anchored?.seq ?? 0),
    ok,
    status,
    checkedAt: (options.now ?? (() => new Date()))().toISOString(),
  };
}

function parseDetails(row: RawAuditRow): Record<string, unknown> | null {
  try {
    const details: unknown = JSON.parse(row.details_json);
    return details && typeof details === 'object' ? (details as Record<string, unknown>) : null;
  } catch {
    return null; // a corrupted entry is already reported by the chain check
  }
}

function gatherAnchors(store: CaseStore, caseId: string | null, options: VerifyOptions): Candidate[] {
  const candidates: Candidate[] = [];
  for (const head of [options.expectedHead, ...(options.expectedHeads ?? [])]) {
    if (head && !candidates.some((c) => c.seq === head.seq && c.hash === head.hash)) candidates.push({ source: 'expected', seq: head.seq, hash: head.hash, anchor: null });
  }
  for (const report of options.reports ?? []) candidates.push({ source: 'report', seq: report.anchor.seq, hash: report.anchor.hash, anchor: report.anchor, report });
  if (options.anchorBook && caseId) {
    for (const a of options.anchorBook.anchorsFor(caseId, store.caseDir).own) candidates.push({ source: 'installation', seq: a.seq, hash: a.hash, anchor: a });
  }
  // The case folder's copy: anchors from this installation authenticate; another's are checked but cannot vouch.
  for (const a of readAnchorLines(join(store.caseDir, CASE_ANCHOR_FILE)).anchors) {
    if (caseId && a.caseId !== caseId) continue;
    candidates.push({ source: 'case-folder', seq: a.seq, hash: a.hash, anchor: a });
  }
  // The same anchor from several sources is checked once, from the most trusted source.
  const order: AnchorSource[] = ['expected', 'report', 'installation', 'case-folder'];
  const seen = new Set<string>();
  return candidates
    .sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source))
    .filter((c) => {
      const key = c.anchor ? canonicalJson(c.anchor) : `${c.seq}:${c.hash}`;
      if (c.source === 'case-folder' && seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

const EVENT_TEXT: Record<AuditAnchor['event'], string> = { import: 'import', report: 'report', close: 'case closed', manual: 'anchor' };

function checkAnchor(
  c: Candidate,
  caseId: string | null,
  head: { seq: number; hash: string } | null,
  hashAt: Map<number, string>,
  exports: Map<string, string | null>,
  book: AnchorBook | undefined,
): AnchorCheck {
  const a = c.anchor;
  const auth = a ? (book ? book.authenticate(a) : 'foreign') : 'valid';
  // The examiner vouches for what they give. Anchors from files count when they claim this
  // installation's key: authentic ones pin the log, altered ones are a finding. Another
  // installation's anchors in the case folder are checked, but cannot vouch for anything.
  const trusted = c.source === 'expected' || c.source === 'report' || auth !== 'foreign';
  const what =
    c.source === 'expected'
      ? `the expected head #${c.seq}`
      : `the ${a ? EVENT_TEXT[a.event] : ''} anchor #${c.seq} of ${a?.at ?? 'unknown time'}${c.source === 'report' ? ` in ${c.report!.file}` : c.source === 'case-folder' ? ' in the case folder' : ' in this installation\'s log'}`;
  const base = { source: c.source, seq: c.seq, hash: c.hash, at: a?.at ?? null, event: a?.event ?? null, ref: a?.ref ?? null, trusted };
  if (auth === 'bad-mac') return { ...base, status: 'bad-mac', message: `${what} does not authenticate with this installation's key: it was altered` };
  if (a && caseId !== null && a.caseId !== caseId) return { ...base, status: 'wrong-case', message: `${what} belongs to case ${a.caseId}, not to this case (${caseId})` };
  const actual = hashAt.get(c.seq);
  if (actual === undefined) {
    return {
      ...base,
      status: 'missing',
      message: `${what} pins entry #${c.seq}, but the log ends at #${head?.seq ?? 0}: entries were removed or an older copy of the database was restored`,
    };
  }
  if (actual !== c.hash) {
    return { ...base, status: 'mismatch', message: `entry #${c.seq} has hash ${actual.slice(0, 16)}…, ${what} recorded ${c.hash.slice(0, 16)}…: the log was rewritten up to there` };
  }
  if (c.report && a?.ref) {
    if (!exports.has(a.ref)) {
      return { ...base, status: 'missing', message: `the log has no report.export entry for report ${a.ref} (${c.report.file}): entries after #${c.seq} were removed` };
    }
    if (exports.get(a.ref) !== c.report.sha256) {
      return { ...base, status: 'mismatch', message: `${c.report.file} has SHA-256 ${c.report.sha256.slice(0, 16)}…, the log recorded ${String(exports.get(a.ref)).slice(0, 16)}… when report ${a.ref} was exported: the PDF was changed` };
    }
  }
  const note = auth === 'foreign' && c.source !== 'expected' ? ' (made by another installation: its signature cannot be checked here)' : '';
  return { ...base, status: trusted ? 'match' : 'unverifiable', message: `${what} matches the log${note}` };
}

function checkSchema(store: CaseStore): string[] {
  const present = new Set((store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]).map((r) => r.name));
  return REQUIRED_TRIGGERS.filter((t) => !present.has(t)).map((t) => `trigger ${t} is missing: it was dropped outside the application, so rows could be changed or removed`);
}

function checkRecords(
  store: CaseStore,
  caseId: string | null,
  latest: Map<string, LatestEntry>,
  latestDigest: Map<string, { digest: string; seq: number }>,
): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const seen = new Set<string>();
  const compare = (entity: string, id: string, digest: string) => {
    const key = `${entity}:${id}`;
    seen.add(key);
    const audited = latestDigest.get(key);
    if (audited) {
      if (audited.digest !== digest) {
        problems.push({ entity, entityId: id, kind: 'digest-mismatch', message: `${entity} ${id} differs from what audit entry ${audited.seq} recorded: it was changed outside the application` });
      }
    } else if (entity === 'retraining_flag' && latest.has(key)) {
      const legacy = legacyFlagProblem(store, id, latest.get(key)!);
      if (legacy) problems.push(legacy);
    } else {
      problems.push({ entity, entityId: id, kind: 'unaudited', message: `${entity} ${id} has no audit entry: it was added outside the application` });
    }
  };
  for (const entity of Object.keys(AUDITED_TABLES) as AuditedEntity[]) {
    for (const { id, digest } of allRowDigests(store.db, entity)) compare(entity, id, digest);
  }
  const splits = checkSplits(store.db, caseId);
  for (const [id, digest] of splits.digests) compare('split', id, digest);
  const evaluations = checkEvaluations(store.db, caseId);
  for (const [id, digest] of evaluations.digests) {
    compare('evaluation', id, digest);
    const recorded = latest.get(`evaluation:${id}`)?.details?.splitId;
    if (recorded !== undefined && recorded !== evaluations.splitIds.get(id)) {
      problems.push({ entity: 'evaluation', entityId: id, kind: 'derived-mismatch', message: `evaluation ${id} is tied to split ${evaluations.splitIds.get(id)}, its audit entry recorded ${String(recorded)}` });
    }
  }
  problems.push(...splits.problems, ...evaluations.problems, ...checkResultScores(store.db), ...checkEvidenceState(store.db), ...checkFindingFlags(store.db));
  for (const [key, { seq }] of latest) {
    if (seen.has(key)) continue;
    const entity = key.slice(0, key.indexOf(':'));
    const id = key.slice(key.indexOf(':') + 1);
    problems.push({ entity, entityId: id, kind: 'row-missing', message: `${entity} ${id} recorded by audit entry ${seq} is no longer in the database` });
  }
  return problems;
}

/** A retraining flag recorded before flags carried a digest: its fields against what the entry said. */
function legacyFlagProblem(store: CaseStore, id: string, entry: LatestEntry): RecordProblem | null {
  const row = store.db.prepare('SELECT * FROM retraining_flags WHERE id = ?').get(id) as
    | { path: string; sha256: string | null; label: number; evaluation_id: string | null; flagged: number; actor: string }
    | undefined;
  const d = entry.details ?? {};
  if (
    row &&
    row.path === d.path &&
    row.sha256 === (d.sha256 ?? null) &&
    row.label === d.label &&
    row.evaluation_id === (d.evaluationId ?? null) &&
    row.flagged === (entry.action === 'retraining.flag' ? 1 : 0) &&
    row.actor === entry.actor
  ) {
    return null;
  }
  return { entity: 'retraining_flag', entityId: id, kind: 'digest-mismatch', message: `retraining_flag ${id} differs from what audit entry ${entry.seq} recorded: it was changed outside the application` };
}

interface EvidenceFileRow {
  id: number;
  path: string;
  sha256: string | null;
  imported_path: string;
  storage: EvidenceStorage;
}

async function checkFiles(
  rows: EvidenceFileRow[],
  concurrency: number,
  onProgress?: (done: number, total: number) => void,
): Promise<EvidenceCheck[]> {
  const checks: EvidenceCheck[] = new Array(rows.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < rows.length) {
      const i = next++;
      checks[i] = await checkFile(rows[i]);
      onProgress?.(++done, rows.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, rows.length)) }, worker));
  return checks;
}

/**
 * One file against its imported hash. A relinked item that matches says so (relinked, not ok),
 * so a reader sees that the file was found elsewhere by its hash; one that is gone is missing.
 */
async function checkFile(row: EvidenceFileRow): Promise<EvidenceCheck> {
  const base: EvidenceCheck = { id: row.id, path: row.path, expected: row.sha256, status: 'ok', storage: row.storage };
  if (row.imported_path !== row.path) base.importedPath = row.imported_path;
  if (row.sha256 === null) return { ...base, status: 'not-hashed', message: 'refused at import before it could be read: no SHA-256 to compare' };
  try {
    const actual = await sha256File(row.path);
    return { ...base, actual, status: actual !== row.sha256 ? 'modified' : row.storage === 'relinked' ? 'relinked' : 'ok' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ...base, status: 'missing' };
    return { ...base, status: 'unreadable', message: (err as Error).message };
  }
}
