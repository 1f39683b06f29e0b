import type { EvidenceCheck, RecordProblem, VerifyReport } from '../../contract/case';
import { iterateAuditRows, verifyAuditChain, type RawAuditRow } from './audit';
import type { CaseStore } from './caseStore';
import { sha256File } from '../ingest/hash';
import { AUDITED_TABLES, allRowDigests, type AuditedEntity } from './rowDigest';

export interface VerifyOptions {
  /** Re-hash every evidence file from disk (default true). */
  rehashFiles?: boolean;
  /** Head (seq and hash) quoted by an earlier report: detects entries removed from the end. */
  expectedHead?: { seq: number; hash: string };
  /** Files hashed at once (default 2: hashing is disk-bound). */
  concurrency?: number;
  onProgress?: (filesDone: number, filesTotal: number) => void;
  now?: () => Date;
}

/**
 * What another examiner runs on a handed-over case: (1) the audit chain recomputed end to end,
 * (2) every case, evidence, run, result and review row compared with the digest its latest
 * audit entry recorded, (3) every evidence file re-hashed from disk against its imported SHA-256.
 * Reads only; evidence files are opened read-only.
 */
export async function verifyCase(store: CaseStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { db } = store;
  // One read transaction so the chain and the rows are checked as of the same moment.
  const { chain, recordProblems, evidenceRows } = db.transaction(() => {
    const latestDigest = new Map<string, { digest: string; seq: number }>();
    // Streamed: the chain walk also collects each row's latest recorded digest.
    function* rowsNotingDigests(): Generator<RawAuditRow> {
      for (const row of iterateAuditRows(db)) {
        const digest = digestOf(row);
        if (digest !== null) latestDigest.set(`${row.entity}:${row.entity_id}`, { digest, seq: row.seq });
        yield row;
      }
    }
    const chain = verifyAuditChain(rowsNotingDigests(), options.expectedHead);
    return {
      chain,
      recordProblems: checkRecords(store, latestDigest),
      evidenceRows: db.prepare('SELECT id, path, sha256 FROM evidence ORDER BY id').all() as {
        id: number;
        path: string;
        sha256: string;
      }[],
    };
  }).deferred();

  const evidence =
    options.rehashFiles === false ? [] : await checkFiles(evidenceRows, options.concurrency ?? 2, options.onProgress);

  const chainIntact = chain.problems.length === 0;
  return {
    chainIntact,
    chainProblems: chain.problems,
    recordProblems,
    evidence,
    auditEntries: chain.count,
    head: chain.head,
    ok: chainIntact && recordProblems.length === 0 && evidence.every((e) => e.status === 'ok'),
    checkedAt: (options.now ?? (() => new Date()))().toISOString(),
  };
}

function digestOf(row: RawAuditRow): string | null {
  if (!Object.hasOwn(AUDITED_TABLES, row.entity) || row.entity_id === null) return null;
  try {
    const details = JSON.parse(row.details_json) as { digest?: unknown };
    return typeof details?.digest === 'string' ? details.digest : null;
  } catch {
    return null; // a corrupted entry is already reported by the chain check
  }
}

function checkRecords(store: CaseStore, latestDigest: Map<string, { digest: string; seq: number }>): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const seen = new Set<string>();
  for (const entity of Object.keys(AUDITED_TABLES) as AuditedEntity[]) {
    for (const { id, digest } of allRowDigests(store.db, entity)) {
      const key = `${entity}:${id}`;
      seen.add(key);
      const audited = latestDigest.get(key);
      if (!audited) {
        problems.push({ entity, entityId: id, kind: 'unaudited', message: `${entity} ${id} has no audit entry: it was added outside the application` });
      } else if (audited.digest !== digest) {
        problems.push({
          entity,
          entityId: id,
          kind: 'digest-mismatch',
          message: `${entity} ${id} differs from what audit entry ${audited.seq} recorded: it was changed outside the application`,
        });
      }
    }
  }
  for (const [key, { seq }] of latestDigest) {
    if (seen.has(key)) continue;
    const [entity, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    problems.push({ entity, entityId: id, kind: 'row-missing', message: `${entity} ${id} recorded by audit entry ${seq} is no longer in the database` });
  }
  return problems;
}

async function checkFiles(
  rows: { id: number; path: string; sha256: string }[],
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

async function checkFile(row: { id: number; path: string; sha256: string }): Promise<EvidenceCheck> {
  const base = { id: row.id, path: row.path, expected: row.sha256 };
  try {
    const actual = await sha256File(row.path);
    return { ...base, actual, status: actual === row.sha256 ? 'ok' : 'modified' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ...base, status: 'missing' };
    return { ...base, status: 'unreadable', message: (err as Error).message };
  }
}
