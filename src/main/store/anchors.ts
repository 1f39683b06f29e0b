import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { AnchorEvent, AuditAnchor } from '../../contract/case';
import { canonicalJson } from './canonicalJson';
import type { CaseStore } from './caseStore';
import { StoreError } from './errors';

/**
 * Anchors pin the audit log's head outside the case database (see AuditAnchor). The hash chain
 * alone proves only that the log is self-consistent: whoever holds the case folder can restore
 * an older copy of case.sqlite, cut entries off its end, or change a row and recompute every
 * hash after it, and the chain still verifies. An anchor written before that happened disagrees.
 *
 * Each installation keeps a random key and its anchor log in the app's state folder (never in
 * a case folder; the folder is a parameter, chosen by the entry point). Every anchor is
 * appended to that log, to `audit-anchors.jsonl` in the case folder, and a report carries its
 * own in the PDF and beside it. An anchor's HMAC says it was made by this installation: one
 * forged in the case folder, or edited, does not authenticate.
 */

/** The key file in the state folder: 32 random bytes, hex, readable by the user only. */
export const ANCHOR_KEY_FILE = 'anchor.key';
/** This installation's anchors, one JSON object a line, append-only. */
export const ANCHOR_LOG_FILE = 'anchors.jsonl';
/** The copy kept in each case folder (convenient, not authoritative: the folder's holder can edit it). */
export const CASE_ANCHOR_FILE = 'audit-anchors.jsonl';

type Unsigned = Omit<AuditAnchor, 'mac'>;

function macOf(key: Buffer, anchor: Unsigned): string {
  const fields: Unsigned = {
    version: anchor.version,
    caseId: anchor.caseId,
    caseDir: anchor.caseDir,
    seq: anchor.seq,
    hash: anchor.hash,
    at: anchor.at,
    event: anchor.event,
    ref: anchor.ref,
    keyId: anchor.keyId,
  };
  return createHmac('sha256', key).update(canonicalJson(fields), 'utf8').digest('hex');
}

/** Whether `value` has the shape of an anchor (it came from a file anyone may have edited). */
export function isAuditAnchor(value: unknown): value is AuditAnchor {
  const a = value as Partial<AuditAnchor> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    a.version === 1 &&
    typeof a.caseId === 'string' &&
    typeof a.caseDir === 'string' &&
    Number.isInteger(a.seq) &&
    (a.seq as number) > 0 &&
    typeof a.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(a.hash) &&
    typeof a.at === 'string' &&
    ['import', 'report', 'close', 'manual'].includes(a.event as string) &&
    (a.ref === null || typeof a.ref === 'string') &&
    typeof a.keyId === 'string' &&
    typeof a.mac === 'string'
  );
}

/** Anchors of a JSON-lines file, skipping lines that are not anchors (counted in `unreadable`). */
export function readAnchorLines(file: string): { anchors: AuditAnchor[]; unreadable: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { anchors: [], unreadable: 0 };
  }
  const anchors: AuditAnchor[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isAuditAnchor(value)) anchors.push(value);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  return { anchors, unreadable };
}

/** Appends one line and makes it durable before returning (an anchor that can be lost pins nothing). */
function appendDurably(file: string, line: string): void {
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, `${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * This installation's anchor key and log, in `stateDir` (Electron's userData, the CLI's state
 * folder, a temp folder in tests). The key is created on the first anchor; reading never creates it.
 */
export class AnchorBook {
  readonly keyFile: string;
  readonly logFile: string;
  private cachedKey: Buffer | null = null;

  constructor(readonly stateDir: string) {
    this.keyFile = join(stateDir, ANCHOR_KEY_FILE);
    this.logFile = join(stateDir, ANCHOR_LOG_FILE);
  }

  /** The key, or null when this installation has never anchored anything. */
  private existingKey(): Buffer | null {
    if (this.cachedKey) return this.cachedKey;
    try {
      const hex = readFileSync(this.keyFile, 'utf8').trim();
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new StoreError('INVALID', `${this.keyFile} is not an anchor key (64 hex digits); move it away to start a new one.`);
      this.cachedKey = Buffer.from(hex, 'hex');
      return this.cachedKey;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private key(): Buffer {
    const existing = this.existingKey();
    if (existing) return existing;
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    try {
      // 'wx': two processes starting at once must not each write a key; the loser reads the winner's.
      const fd = openSync(this.keyFile, 'wx', 0o600);
      try {
        writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return this.existingKey()!;
  }

  /** Names this installation's key in anchors (not secret: a digest of it). Null before the first anchor. */
  keyId(): string | null {
    const key = this.existingKey();
    return key ? keyIdOf(key) : null;
  }

  /** Signs the head `head` of the case in `store` (creating the key if needed). */
  sign(store: CaseStore, head: { seq: number; hash: string }, event: AnchorEvent, ref: string | null, at: string): AuditAnchor {
    const c = store.getCase();
    if (!c) throw new StoreError('NO_CASE', 'this folder has no case yet: nothing to anchor');
    if (isInside(this.stateDir, store.caseDir)) {
      throw new StoreError('INVALID', `The anchor key must be kept outside the case folder; ${this.stateDir} is inside ${store.caseDir}.`);
    }
    const key = this.key();
    const unsigned: Unsigned = { version: 1, caseId: c.id, caseDir: store.caseDir, seq: head.seq, hash: head.hash, at, event, ref, keyId: keyIdOf(key) };
    return { ...unsigned, mac: macOf(key, unsigned) };
  }

  /** valid: made by this installation and unchanged; bad-mac: claims to be, but was altered; foreign: another installation's (or none here yet). */
  authenticate(anchor: AuditAnchor): 'valid' | 'bad-mac' | 'foreign' {
    const key = this.existingKey();
    if (!key || anchor.keyId !== keyIdOf(key)) return 'foreign';
    const expected = Buffer.from(macOf(key, anchor), 'hex');
    const given = Buffer.from(/^[0-9a-f]{64}$/.test(anchor.mac) ? anchor.mac : '', 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'bad-mac';
  }

  /**
   * Anchors the current head of `store`'s log: appended to this installation's log and to the
   * case folder's copy. Returns null when the log is empty. Call it after the change it pins has
   * committed (the end of an import, a report's audit entry).
   */
  record(store: CaseStore, event: AnchorEvent, ref: string | null = null, at = new Date().toISOString()): AuditAnchor | null {
    const head = store.auditHead();
    if (!head) return null;
    const anchor = this.sign(store, head, event, ref, at);
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    appendDurably(this.logFile, JSON.stringify(anchor));
    // The case folder's copy is a convenience for whoever holds the folder; failing to write it
    // (a read-only medium) must not fail what was anchored.
    try {
      appendFileSync(join(store.caseDir, CASE_ANCHOR_FILE), `${JSON.stringify(anchor)}\n`);
    } catch {
      /* the installation's log is the record */
    }
    return anchor;
  }

  /** This installation's anchors: those of the case `caseId`, and those made in the same folder for another case. */
  anchorsFor(caseId: string, caseDir: string): { own: AuditAnchor[]; sameFolderOtherCase: AuditAnchor[]; unreadable: number } {
    const { anchors, unreadable } = readAnchorLines(this.logFile);
    const dir = resolve(caseDir);
    return {
      own: anchors.filter((a) => a.caseId === caseId),
      sameFolderOtherCase: anchors.filter((a) => a.caseId !== caseId && resolve(a.caseDir) === dir),
      unreadable,
    };
  }

  /** Whether the state folder holds anything at all (for messages). */
  exists(): boolean {
    return existsSync(this.keyFile);
  }
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Parses "seq:hash" as `--expect-head` takes it. */
export function parseHead(text: string): { seq: number; hash: string } {
  const m = /^#?(\d+):([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m || Number(m[1]) < 1) throw new StoreError('INVALID', `a head is "seq:hash" with the entry number and its 64-hex-digit hash, got "${text}"`);
  return { seq: Number(m[1]), hash: m[2].toLowerCase() };
}
