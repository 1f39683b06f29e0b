// The audit chain against an adversary who holds the case folder (issue 11, finding 1): an older
// copy of case.sqlite, a log with its tail cut off, and a log recomputed from scratch after an
// evidence file was swapped all verify as a chain. Anchors made by the installation (outside
// the case folder) are what tells them apart; without one, verify must not say "verified".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AnchorBook, ANCHOR_KEY_FILE, CASE_ANCHOR_FILE } from '../../src/main/store/anchors';
import { auditHash, GENESIS_HASH } from '../../src/main/store/audit';
import { canonicalJson } from '../../src/main/store/canonicalJson';
import { rebuildEvidenceState } from '../../src/main/store/evidenceState';
import { openCaseDatabase } from '../../src/main/store/open';
import { AUDITED_TABLES, rowDigest, type AuditedEntity } from '../../src/main/store/rowDigest';
import { verifyCase } from '../../src/main/store/verify';
import { CASE_INPUT, RUN_PARAMETERS, metadataFor, okRecord, removeDir, score, tempDir, writeJpeg } from './helpers';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

interface Built {
  root: string;
  caseDir: string;
  stateDir: string;
  files: string[];
  book: AnchorBook;
}

/** A case with three real JPEGs imported and analysed, anchored at the end of the import as the importer does. */
async function buildCase(): Promise<Built> {
  const root = tempDir('pl-anchor-');
  dirs.push(root);
  const caseDir = path.join(root, 'case');
  const stateDir = path.join(root, 'state');
  const evidenceDir = path.join(root, 'evidence');
  fs.mkdirSync(evidenceDir);
  const files = await Promise.all([1, 2, 3].map((seed) => writeJpeg(evidenceDir, `img-${seed}.jpg`, seed * 50)));
  const book = new AnchorBook(stateDir);
  const store = openCaseDatabase(caseDir, { actor: 'examiner' });
  try {
    store.createCase(CASE_INPUT);
    const run = store.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' });
    for (const file of files) {
      const meta = await metadataFor(file);
      const item = store.addEvidence(meta);
      store.recordResult(run.id, item.id, okRecord(meta, [score('gen-a', 0.2 + item.id / 10), score('gen-b', 0.6)]));
    }
    store.finishRun(run.id, 'completed');
    book.record(store, 'import', String(run.id));
  } finally {
    store.close();
  }
  return { root, caseDir, stateDir, files, book };
}

/** Opens the case, changes something through the application, anchors as closing the case does. */
function reviewAndClose(b: Built, evidenceId: number, verdict: 'authentic' | 'manipulated'): void {
  const store = openCaseDatabase(b.caseDir, { actor: 'examiner' });
  try {
    store.setReview(evidenceId, { verdict, reviewer: 'Ana' });
    b.book.record(store, 'close');
  } finally {
    store.close();
  }
}

async function verify(caseDir: string, options: Parameters<typeof verifyCase>[1] = {}) {
  const store = openCaseDatabase(caseDir, { readonly: true });
  try {
    return await verifyCase(store, options);
  } finally {
    store.close();
  }
}

/** What an adversary with the file can do: a plain SQLite connection with the append-only triggers dropped, put back afterwards. */
function withRawDb(caseDir: string, fn: (db: Database.Database) => void): void {
  const db = new Database(path.join(caseDir, 'case.sqlite'));
  db.pragma('foreign_keys = OFF');
  const triggers = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[];
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[];
  for (const name of names) db.exec(`DROP TRIGGER ${name}`);
  fn(db);
  // A careful adversary restores the triggers, so nothing looks out of place.
  for (const sql of triggers) db.exec(sql);
  db.close();
}

/** Recomputes every recorded digest from the rows as they are now, then every hash of the chain. */
function rebuildChain(db: Database.Database): void {
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as {
    seq: number;
    at: string;
    actor: string;
    action: string;
    entity: string;
    entity_id: string | null;
    details_json: string;
  }[];
  let prevHash = GENESIS_HASH;
  for (const row of rows) {
    const details = JSON.parse(row.details_json) as Record<string, unknown> | null;
    if (details && typeof details.digest === 'string' && Object.hasOwn(AUDITED_TABLES, row.entity)) {
      details.digest = rowDigest(db, row.entity as AuditedEntity, row.entity_id!) ?? details.digest;
    }
    const hash = auditHash({ seq: row.seq, at: row.at, actor: row.actor, action: row.action, entity: row.entity, entityId: row.entity_id, details, prevHash });
    db.prepare('UPDATE audit_log SET details_json = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(canonicalJson(details), prevHash, hash, row.seq);
    prevHash = hash;
  }
}

function problemsOf(report: Awaited<ReturnType<typeof verify>>) {
  return report.anchors.filter((a) => a.trusted && a.status !== 'match').map((a) => [a.source, a.status]);
}

describe('audit anchors', () => {
  it('an untouched, anchored case verifies and says where it is anchored', async () => {
    const b = await buildCase();
    reviewAndClose(b, 1, 'authentic');
    const report = await verify(b.caseDir, { anchorBook: b.book });
    assert.equal(report.status, 'verified', JSON.stringify(report.anchors));
    assert.equal(report.ok, true);
    assert.deepEqual(report.anchored && [report.anchored.seq, report.anchored.source], [report.head!.seq, 'installation']);
    assert.equal(report.unanchoredEntries, 0);
    // The installation's log and the case folder's copy hold the same two anchors.
    const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq as number);
    assert.deepEqual(lines(b.book.logFile), lines(path.join(b.caseDir, CASE_ANCHOR_FILE)));
    assert.equal(lines(b.book.logFile).length, 2);
  });

  it('without any anchor an intact chain is "not anchored", never "verified"', async () => {
    const b = await buildCase();
    const report = await verify(b.caseDir);
    assert.equal(report.ok, true);
    assert.equal(report.status, 'not-anchored');
    assert.equal(report.anchored, null);
    assert.equal(report.unanchoredEntries, report.auditEntries);
  });

  it('rollback: an older copy of case.sqlite (and of the case folder anchors) fails against the installation anchor', async () => {
    const b = await buildCase();
    const db = path.join(b.caseDir, 'case.sqlite');
    const sidecar = path.join(b.caseDir, CASE_ANCHOR_FILE);
    const older = { db: fs.readFileSync(db), sidecar: fs.readFileSync(sidecar) };
    reviewAndClose(b, 2, 'manipulated');
    assert.equal((await verify(b.caseDir, { anchorBook: b.book })).status, 'verified');

    // The adversary puts the whole older state back: the database and the case folder's anchors.
    fs.writeFileSync(db, older.db);
    fs.writeFileSync(sidecar, older.sidecar);
    for (const f of [`${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });

    // The older copy is a perfectly consistent case on its own ...
    const alone = await verify(b.caseDir);
    assert.equal(alone.chainIntact, true);
    assert.equal(alone.status, 'not-anchored');
    // ... but not against what this installation anchored after it.
    const report = await verify(b.caseDir, { anchorBook: b.book });
    assert.equal(report.status, 'failed');
    assert.equal(report.ok, false);
    assert.deepEqual(problemsOf(report), [['installation', 'missing']]);
    assert.match(report.anchors.find((a) => a.status === 'missing')!.message, /older copy of the database was restored/);
  });

  it('tail truncation: entries cut off after the last import fail against the close anchor', async () => {
    const b = await buildCase();
    reviewAndClose(b, 3, 'manipulated');
    const anchoredHead = (await verify(b.caseDir, { anchorBook: b.book })).head!;
    withRawDb(b.caseDir, (db) => {
      // Remove the review and its entry (and the case folder's record of the anchor), and rebuild
      // the gallery rows as the app would: every row still matches the log.
      db.prepare('DELETE FROM reviews').run();
      db.prepare('DELETE FROM audit_log WHERE seq = ?').run(anchoredHead.seq);
      rebuildEvidenceState(db);
    });
    const lines = fs.readFileSync(path.join(b.caseDir, CASE_ANCHOR_FILE), 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(b.caseDir, CASE_ANCHOR_FILE), `${lines[0]}\n`);

    const alone = await verify(b.caseDir);
    assert.deepEqual([alone.chainIntact, alone.recordProblems, alone.schemaProblems, alone.status], [true, [], [], 'not-anchored']);
    const report = await verify(b.caseDir, { anchorBook: b.book });
    assert.equal(report.status, 'failed');
    assert.deepEqual(problemsOf(report), [['installation', 'missing']]);
    // The head an examiner noted down (--expect-head) catches it too, with no installation at hand.
    const quoted = await verify(b.caseDir, { expectedHead: anchoredHead });
    assert.equal(quoted.status, 'failed');
    assert.deepEqual(problemsOf(quoted), [['expected', 'missing']]);
  });

  it('full rebuild: a swapped evidence file with its hash changed and the whole chain recomputed fails against the anchor', async () => {
    const b = await buildCase();
    // Replace evidence #2 with another picture, and make the database say it always was that picture.
    const swapped = await writeJpeg(path.dirname(b.files[1]), 'other.jpg', 201);
    fs.copyFileSync(swapped, b.files[1]);
    const meta = await metadataFor(b.files[1]);
    withRawDb(b.caseDir, (db) => {
      db.prepare('UPDATE evidence SET sha256 = ?, size = ?, metadata_json = ? WHERE id = 2').run(meta.sha256, meta.sizeBytes, canonicalJson(meta));
      const entry = db.prepare("SELECT seq, details_json FROM audit_log WHERE action = 'evidence.add' AND entity_id = '2'").get() as { seq: number; details_json: string };
      db.prepare('UPDATE audit_log SET details_json = ? WHERE seq = ?').run(canonicalJson({ ...JSON.parse(entry.details_json), sha256: meta.sha256 }), entry.seq);
      rebuildChain(db);
    });
    fs.rmSync(path.join(b.caseDir, CASE_ANCHOR_FILE));

    // Everything inside the folder agrees with itself, the swapped file included.
    const alone = await verify(b.caseDir);
    assert.deepEqual([alone.chainIntact, alone.recordProblems, alone.evidence.map((e) => e.status)], [true, [], ['ok', 'ok', 'ok']]);
    assert.equal(alone.status, 'not-anchored', 'without an anchor this must not read as verified');
    const report = await verify(b.caseDir, { anchorBook: b.book });
    assert.equal(report.status, 'failed');
    assert.deepEqual(problemsOf(report), [['installation', 'mismatch']]);
    assert.match(report.anchors[0].message, /rewritten/);
  });

  it('anchors in the case folder authenticate only with the installation key; a forged one is a finding', async () => {
    const b = await buildCase();
    const sidecar = path.join(b.caseDir, CASE_ANCHOR_FILE);
    const [genuine] = fs.readFileSync(sidecar, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // Verified elsewhere (no installation log), the folder's own anchor still counts: its MAC checks out with this key.
    const elsewhere = new AnchorBook(path.join(b.root, 'state-copy'));
    fs.mkdirSync(elsewhere.stateDir);
    fs.copyFileSync(path.join(b.stateDir, ANCHOR_KEY_FILE), path.join(elsewhere.stateDir, ANCHOR_KEY_FILE));
    assert.equal((await verify(b.caseDir, { anchorBook: elsewhere })).status, 'verified');

    // An anchor "moved" to a rewritten head keeps its MAC, which no longer matches.
    fs.appendFileSync(sidecar, `${JSON.stringify({ ...genuine, seq: genuine.seq - 1 })}\n`);
    const forged = await verify(b.caseDir, { anchorBook: b.book });
    assert.equal(forged.status, 'failed');
    assert.deepEqual(problemsOf(forged), [['case-folder', 'bad-mac']]);

    // Another installation's anchor cannot vouch: a case carrying only that is not anchored.
    fs.writeFileSync(sidecar, `${JSON.stringify({ ...genuine, keyId: '0123456789abcdef' })}\n`);
    const other = await verify(b.caseDir, { anchorBook: new AnchorBook(path.join(b.root, 'fresh-state')) });
    assert.equal(other.status, 'not-anchored');
    assert.equal(other.anchors[0].status, 'unverifiable');
  });

  it('keeps its key outside the case folder, readable by the user only, and created once', async () => {
    const b = await buildCase();
    const inside = new AnchorBook(path.join(b.caseDir, 'state'));
    const store = openCaseDatabase(b.caseDir);
    try {
      assert.throws(() => inside.record(store, 'manual'), /outside the case folder/);
    } finally {
      store.close();
    }
    const key = path.join(b.stateDir, ANCHOR_KEY_FILE);
    if (process.platform !== 'win32') assert.equal(fs.statSync(key).mode & 0o077, 0, 'no access for group or others');
    const before = fs.readFileSync(key, 'utf8');
    reviewAndClose(b, 1, 'authentic');
    assert.equal(fs.readFileSync(key, 'utf8'), before);
    assert.match(b.book.keyId()!, /^[0-9a-f]{16}$/);
  });
});

describe('derived columns the gallery sorts and filters by', () => {
  it('max_score and result_scores are checked against the recorded scores', async () => {
    const b = await buildCase();
    assert.deepEqual((await verify(b.caseDir, { rehashFiles: false })).recordProblems, []);
    // Hide result 1 from "score ≥ 0.5" and from the top of the most-suspicious-first order.
    withRawDb(b.caseDir, (db) => db.prepare('UPDATE results SET max_score = 0.1 WHERE id = 1').run());
    let report = await verify(b.caseDir, { rehashFiles: false });
    assert.deepEqual(report.recordProblems.map((p) => [p.entity, p.entityId, p.kind]), [['result', '1', 'derived-mismatch']]);
    assert.match(report.recordProblems[0].message, /max_score 0\.1/);
    assert.equal(report.status, 'failed');

    withRawDb(b.caseDir, (db) => {
      db.prepare('UPDATE results SET max_score = 0.6 WHERE id = 1').run();
      db.prepare("UPDATE result_scores SET score = 0.01 WHERE result_id = 2 AND model_id = 'gen-b'").run();
      db.prepare("DELETE FROM result_scores WHERE result_id = 3 AND model_id = 'gen-a'").run();
      db.prepare("INSERT INTO result_scores (result_id, model_id, score) VALUES (99, 'gen-a', 0.9)").run();
    });
    report = await verify(b.caseDir, { rehashFiles: false });
    assert.deepEqual(report.recordProblems.map((p) => [p.entity, p.entityId]), [['result', '2'], ['result', '3'], ['result', '99']]);
  });

  it('the gallery row of each item (evidence_state, current_scores) is checked against its evidence, results and reviews', async () => {
    const b = await buildCase();
    assert.deepEqual((await verify(b.caseDir, { rehashFiles: false })).recordProblems, []);
    // Take item 1 out of the "flagged" filter and item 2 down the score order.
    withRawDb(b.caseDir, (db) => {
      db.prepare('UPDATE evidence_state SET flagged = 1 - flagged WHERE evidence_id = 1').run();
      db.prepare('UPDATE current_scores SET score = score / 10 WHERE evidence_id = 2').run();
    });
    const report = await verify(b.caseDir, { rehashFiles: false });
    assert.deepEqual(report.recordProblems.map((p) => [p.entity, p.entityId, p.kind]), [['evidence', '1', 'derived-mismatch'], ['evidence', '2', 'derived-mismatch']]);
    assert.match(report.recordProblems[0].message, /gallery row/);
    assert.equal(report.status, 'failed');
  });

  it('dropping the append-only triggers is reported', async () => {
    const b = await buildCase();
    const db = new Database(path.join(b.caseDir, 'case.sqlite'));
    db.exec('DROP TRIGGER audit_log_no_delete; DROP TRIGGER reviews_no_update');
    db.close();
    const report = await verify(b.caseDir, { rehashFiles: false });
    assert.equal(report.schemaProblems.length, 2);
    assert.match(report.schemaProblems.join('\n'), /audit_log_no_delete.*\n.*reviews_no_update/);
    assert.equal(report.status, 'failed');
  });
});
