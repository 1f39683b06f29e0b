import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditEntry, ChainProblem } from '../../contract/case';
import { canonicalJson } from './canonicalJson';
import { statement } from './statements';

/**
 * The audit log is an append-only hash chain. Each entry's hash is the SHA-256 (hex) of the
 * canonical JSON (sorted keys, no whitespace) of
 *   { seq, at, actor, action, entity, entity_id, details, prev_hash }
 * where prev_hash is the previous entry's hash and the first entry's prev_hash is 64 zeros.
 * Changing, removing or reordering any entry breaks every later link, so a report that quotes
 * the head (last seq and hash) pins the whole history, truncation included.
 *
 * SQLite triggers refuse UPDATE and DELETE on the table, but whoever holds the file can drop
 * them; the chain is what makes that kind of tampering detectable (see verifyAuditChain).
 */

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  details: unknown;
  prevHash: string;
}

export function auditHash(f: AuditFields): string {
  const payload = canonicalJson({
    seq: f.seq,
    at: f.at,
    actor: f.actor,
    action: f.action,
    entity: f.entity,
    entity_id: f.entityId,
    details: f.details ?? null,
    prev_hash: f.prevHash,
  });
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

export interface AppendAuditInput {
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId?: string | number | null;
  details?: unknown;
}

/**
 * Appends one entry. Must run inside the transaction that makes the change it records, so the
 * change and its entry commit or roll back together; calling it outside one is a bug.
 */
export function appendAudit(db: Database.Database, input: AppendAuditInput): AuditEntry {
  if (!db.inTransaction) {
    throw new Error('appendAudit must run inside the transaction of the change it records');
  }
  const head = statement(db, 'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
    | { seq: number; hash: string }
    | undefined;
  const fields: AuditFields = {
    seq: (head?.seq ?? 0) + 1,
    at: input.at,
    actor: input.actor,
    action: input.action,
    entity: input.entity,
    entityId: input.entityId === undefined || input.entityId === null ? null : String(input.entityId),
    // Round-trip through canonical JSON so what is hashed is exactly what a reader parses back.
    details: JSON.parse(canonicalJson(input.details ?? null)),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  const hash = auditHash(fields);
  statement(
    db,
    `INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, details_json, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    fields.seq,
    fields.at,
    fields.actor,
    fields.action,
    fields.entity,
    fields.entityId,
    canonicalJson(fields.details),
    fields.prevHash,
    hash,
  );
  return { ...fields, hash };
}

/** An audit row as stored: details still as text, so a corrupted row can be reported, not thrown. */
export interface RawAuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  details_json: string;
  prev_hash: string;
  hash: string;
}

/** The hashed fields of a stored row (throws if its details are not valid JSON). */
function fieldsOf(row: RawAuditRow): AuditFields {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    details: JSON.parse(row.details_json),
    prevHash: row.prev_hash,
  };
}

export function toAuditEntry(row: RawAuditRow): AuditEntry {
  return { ...fieldsOf(row), hash: row.hash };
}

export function iterateAuditRows(db: Database.Database): IterableIterator<RawAuditRow> {
  return db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<RawAuditRow>;
}

/**
 * Walks the chain in seq order and reports every broken link: an entry whose recomputed hash
 * differs from the stored one (its content was edited), an entry whose prev_hash is not the
 * previous entry's hash (an entry before it was replaced), or a jump in seq (entries removed).
 * Later links are checked against the stored hashes, so one edited entry yields one problem.
 * `expectedHead` (seq and hash quoted by an earlier report) also catches a truncated tail.
 */
export function verifyAuditChain(
  rows: Iterable<RawAuditRow>,
  expectedHead?: { seq: number; hash: string },
): { problems: ChainProblem[]; count: number; head: { seq: number; hash: string } | null } {
  const problems: ChainProblem[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  let head: { seq: number; hash: string } | null = null;
  let quotedHeadSeen = false;

  for (const row of rows) {
    count++;
    if (row.seq !== expectedSeq) {
      problems.push({
        seq: row.seq,
        kind: 'seq-gap',
        message:
          row.seq > expectedSeq
            ? `entries ${expectedSeq}..${row.seq - 1} are missing before seq ${row.seq}`
            : `seq ${row.seq} appears out of order after seq ${expectedSeq - 1}`,
      });
    } else if (row.prev_hash !== prevHash) {
      problems.push({
        seq: row.seq,
        kind: 'prev-hash-mismatch',
        message: `prev_hash of seq ${row.seq} does not match the hash of the entry before it`,
      });
    }

    let recomputed: string | null = null;
    let parseError: string | null = null;
    try {
      recomputed = auditHash(fieldsOf(row));
    } catch (err) {
      parseError = err instanceof Error ? err.message : String(err);
    }
    if (recomputed !== row.hash) {
      problems.push({
        seq: row.seq,
        kind: 'hash-mismatch',
        message:
          parseError !== null
            ? `details of seq ${row.seq} are not valid JSON (${parseError})`
            : `content of seq ${row.seq} (${row.action}) no longer matches its hash`,
      });
    }

    if (expectedHead && row.seq === expectedHead.seq) {
      quotedHeadSeen = true;
      if (row.hash !== expectedHead.hash) {
        problems.push({
          seq: row.seq,
          kind: 'head-mismatch',
          message: `seq ${row.seq} has hash ${row.hash}, the quoted head was ${expectedHead.hash}`,
        });
      }
    }
    expectedSeq = row.seq + 1;
    prevHash = row.hash;
    head = { seq: row.seq, hash: row.hash };
  }

  if (expectedHead && !quotedHeadSeen) {
    problems.push({
      seq: expectedHead.seq,
      kind: 'head-mismatch',
      message: `the quoted head seq ${expectedHead.seq} is not in the log (it ends at seq ${head?.seq ?? 0}): entries were removed`,
    });
  }
  return { problems, count, head };
}
