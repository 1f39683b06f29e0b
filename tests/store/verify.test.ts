import { SCHEMA_VERSION } from '../../src/main/store/migrations';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { auditHash } from '../../src/main/store/audit';
import { openCaseDatabase } from '../../src/main/store/open';
import { verifyCase } from '../../src/main/store/verify';
import { CASE_INPUT, RUN_PARAMETERS, metadataFor, okRecord, removeDir, score, tempDir, writeJpeg } from './helpers';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

/** A closed case folder with three real JPEGs imported, analysed and reviewed. */
async function buildCase(): Promise<{ caseDir: string; files: string[] }> {
  const root = tempDir();
  dirs.push(root);
  const caseDir = path.join(root, 'case');
  const evidenceDir = path.join(root, 'evidence');
  fs.mkdirSync(evidenceDir);
  const files = await Promise.all([1, 2, 3].map((seed) => writeJpeg(evidenceDir, `img-${seed}.jpg`, seed * 40)));
  const store = openCaseDatabase(caseDir, { actor: 'examiner' });
  try {
    store.createCase(CASE_INPUT);
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    for (const file of files) {
      const meta = await metadataFor(file);
      const item = store.addEvidence(meta);
      store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.2), score('gen-b', 0.6)]));
      store.setReview(item.id, { verdict: 'authentic', notes: `reviewed ${item.fileName}`, reviewer: 'Ana' });
    }
    store.finishRun(run.id, 'completed');
  } finally {
    store.close();
  }
  return { caseDir, files };
}

/** What an attacker with the file does: a plain SQLite connection, triggers dropped. */
function tamper(caseDir: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path.join(caseDir, 'case.sqlite'));
  db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; DROP TRIGGER IF EXISTS reviews_no_update;');
  db.prepare(sql).run(...params);
  db.close();
}

async function verify(caseDir: string, opts: Parameters<typeof verifyCase>[1] = {}) {
  const store = openCaseDatabase(caseDir, { readonly: true });
  try {
    return await verifyCase(store, opts);
  } finally {
    store.close();
  }
}

function auditRow(caseDir: string, action: string): { seq: number; details_json: string; hash: string } {
  const db = new Database(path.join(caseDir, 'case.sqlite'), { readonly: true });
  const row = db.prepare('SELECT * FROM audit_log WHERE action = ? ORDER BY seq LIMIT 1').get(action) as { seq: number; details_json: string; hash: string };
  db.close();
  return row;
}

describe('verifyCase', () => {
  it('an untouched case verifies: chain intact, every row matches its entry, every file hashes as imported', async () => {
    const { caseDir, files } = await buildCase();
    const progress: number[] = [];
    const report = await verify(caseDir, { onProgress: (done) => progress.push(done) });
    assert.equal(report.chainIntact, true, JSON.stringify(report.chainProblems));
    assert.deepEqual(report.chainProblems, []);
    assert.deepEqual(report.recordProblems, []);
    assert.deepEqual(report.evidence.map((e) => [e.path, e.status]), files.map((f) => [f, 'ok']));
    assert.ok(report.evidence.every((e) => e.actual === e.expected));
    assert.equal(report.ok, true);
    assert.deepEqual(progress, [1, 2, 3]);
    // one entry per schema migration, case, run start/finish, and per file: evidence, result, review.
    assert.equal(report.auditEntries, SCHEMA_VERSION + 1 + 2 + 3 * 3);
    assert.equal(report.head?.seq, report.auditEntries);
    assert.match(report.head!.hash, /^[0-9a-f]{64}$/);
    assert.ok(!Number.isNaN(Date.parse(report.checkedAt)));
  });

  it('an edited audit entry is reported at its seq as a hash mismatch, and only there', async () => {
    const { caseDir } = await buildCase();
    const target = auditRow(caseDir, 'review.set');
    const details = JSON.parse(target.details_json);
    tamper(caseDir, 'UPDATE audit_log SET details_json = ? WHERE seq = ?', JSON.stringify({ ...details, verdict: 'generated' }), target.seq);
    const report = await verify(caseDir, { rehashFiles: false });
    assert.equal(report.chainIntact, false);
    assert.equal(report.ok, false);
    assert.deepEqual(report.chainProblems.map((p) => [p.seq, p.kind]), [[target.seq, 'hash-mismatch']]);
  });

  it('an edited entry whose hash was recomputed breaks the link to the next entry', async () => {
    const { caseDir } = await buildCase();
    const target = auditRow(caseDir, 'evidence.add');
    const db = new Database(path.join(caseDir, 'case.sqlite'));
    const row = db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(target.seq) as Record<string, string | number>;
    db.close();
    const forged = { ...JSON.parse(row.details_json as string), path: '/somewhere/else.jpg' };
    const hash = auditHash({
      seq: row.seq as number,
      at: row.at as string,
      actor: row.actor as string,
      action: row.action as string,
      entity: row.entity as string,
      entityId: row.entity_id as string,
      details: forged,
      prevHash: row.prev_hash as string,
    });
    tamper(caseDir, 'UPDATE audit_log SET details_json = ?, hash = ? WHERE seq = ?', JSON.stringify(forged), hash, target.seq);
    const report = await verify(caseDir, { rehashFiles: false });
    assert.deepEqual(report.chainProblems.map((p) => [p.seq, p.kind]), [[target.seq + 1, 'prev-hash-mismatch']]);
  });

  it('a deleted entry shows as a gap; a removed tail shows against the head quoted by a report', async () => {
    const { caseDir } = await buildCase();
    const intact = await verify(caseDir, { rehashFiles: false });
    tamper(caseDir, 'DELETE FROM audit_log WHERE seq = 5');
    const gap = await verify(caseDir, { rehashFiles: false });
    assert.deepEqual(gap.chainProblems.map((p) => [p.seq, p.kind]), [[6, 'seq-gap']]);
    assert.match(gap.chainProblems[0]!.message, /entries 5\.\.5 are missing/);

    const { caseDir: other } = await buildCase();
    const quoted = (await verify(other, { rehashFiles: false })).head!;
    tamper(other, 'DELETE FROM audit_log WHERE seq = ?', quoted.seq);
    const truncated = await verify(other, { rehashFiles: false, expectedHead: quoted });
    assert.deepEqual(truncated.chainProblems.map((p) => [p.seq, p.kind]), [[quoted.seq, 'head-mismatch']]);
    assert.equal((await verify(other, { rehashFiles: false })).chainIntact, true, 'without the quoted head a clean truncation is invisible');
    assert.equal(intact.chainIntact, true);
  });

  it('a row changed or added behind the store (chain untouched) is caught by its digest', async () => {
    const { caseDir } = await buildCase();
    tamper(caseDir, "UPDATE reviews SET verdict = 'generated' WHERE id = 2");
    tamper(caseDir, "UPDATE results SET scores_json = '[]' WHERE id = 1");
    tamper(
      caseDir,
      "INSERT INTO reviews (evidence_id, verdict, notes, reviewer, flagged, updated_at) VALUES (1, 'manipulated', '', 'mallory', 0, '2025-01-01T00:00:00Z')",
    );
    const report = await verify(caseDir, { rehashFiles: false });
    assert.equal(report.chainIntact, true);
    assert.deepEqual(
      report.recordProblems.map((p) => [p.entity, p.entityId, p.kind]),
      [
        ['result', '1', 'digest-mismatch'],
        ['review', '2', 'digest-mismatch'],
        ['review', '4', 'unaudited'],
        // The emptied scores no longer give the max_score and score rows the gallery sorts by.
        ['result', '1', 'derived-mismatch'],
        ['result', '1', 'derived-mismatch'],
        ['result', '1', 'derived-mismatch'],
        // And the gallery rows of the items whose scores and verdicts changed behind the store.
        ['evidence', '1', 'derived-mismatch'],
        ['evidence', '2', 'derived-mismatch'],
      ],
    );
    assert.equal(report.ok, false);
  });

  it('reports an evidence file changed on disk as modified, a deleted one as missing, a directory as unreadable', async () => {
    const { caseDir, files } = await buildCase();
    const [changed, deleted, replaced] = files as [string, string, string];
    const bytes = fs.readFileSync(changed);
    bytes[bytes.length - 3] ^= 0xff; // one flipped byte inside the JPEG scan
    fs.writeFileSync(changed, bytes);
    fs.rmSync(deleted);
    fs.rmSync(replaced);
    fs.mkdirSync(replaced);

    const report = await verify(caseDir);
    assert.equal(report.chainIntact, true);
    assert.equal(report.ok, false);
    const byPath = new Map(report.evidence.map((e) => [e.path, e]));
    const m = byPath.get(changed)!;
    assert.equal(m.status, 'modified');
    assert.notEqual(m.actual, m.expected);
    assert.match(m.actual!, /^[0-9a-f]{64}$/);
    assert.equal(byPath.get(deleted)!.status, 'missing');
    assert.equal(byPath.get(deleted)!.actual, undefined);
    assert.equal(byPath.get(replaced)!.status, 'unreadable');
    assert.ok(byPath.get(replaced)!.message);
  });
});
