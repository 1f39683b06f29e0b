import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { evidenceStateProblems } from '../../src/main/store/evidenceState';
import { appendAudit } from '../../src/main/store/audit';
import { StoreError } from '../../src/main/store/errors';
import { migrate, schemaVersion, SCHEMA_VERSION } from '../../src/main/store/migrations';
import { openCaseDatabase } from '../../src/main/store/open';
import { verifyCase } from '../../src/main/store/verify';
import { digestOf } from '../../src/main/store/rowDigest';
import { CASE_INPUT, fakeMetadata, metadataFor, removeDir, sha256Of, tempDir, writeJpeg } from './helpers';

const dirs: string[] = [];
function caseDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
after(() => dirs.forEach(removeDir));

describe('openCaseDatabase', () => {
  it('creates case.sqlite and derived/, in WAL mode with FULL sync and foreign keys on', () => {
    const dir = path.join(caseDir(), 'nested', 'case');
    const store = openCaseDatabase(dir, { actor: 'tester' });
    try {
      assert.ok(fs.statSync(path.join(dir, 'case.sqlite')).isFile());
      assert.ok(fs.statSync(path.join(dir, 'derived')).isDirectory());
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(store.db.pragma('synchronous', { simple: true }), 2); // FULL
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(store.db.pragma('busy_timeout', { simple: true }), 5000);
      // A bounded page cache (4 MiB): import memory stays flat (bench/importMemory.ts).
      assert.equal(store.db.pragma('cache_size', { simple: true }), -4096);
      assert.equal(schemaVersion(store.db), SCHEMA_VERSION);
      const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
        (t) => t.name,
      );
      for (const t of ['analysis_findings', 'analysis_runs', 'audit_log', 'cases', 'current_scores', 'evidence', 'evidence_state', 'result_scores', 'results', 'reviews']) {
        assert.ok(tables.includes(t), `table ${t} exists`);
      }
      // Each migration left an audited trace.
      const migrations = store.auditLog({ entity: 'schema' });
      assert.deepEqual(
        migrations.map((e) => {
          const { from, to } = e.details as { from: number; to: number };
          return [e.entityId, from, to];
        }),
        [
          ['1', 0, 1],
          ['2', 1, 2],
          ['3', 2, 3],
          ['4', 3, 4],
          ['5', 4, 5],
          ['6', 5, 6],
        ],
      );
      assert.ok(migrations.every((e) => e.actor === 'tester'));
    } finally {
      store.close();
    }
  });

  it('reopening an up-to-date database changes nothing', () => {
    const dir = caseDir();
    openCaseDatabase(dir).close();
    const store = openCaseDatabase(dir);
    try {
      assert.equal(store.auditLog().length, SCHEMA_VERSION);
    } finally {
      store.close();
    }
  });

  it('enforces foreign keys: a result for unknown evidence is refused by SQLite itself', () => {
    const store = openCaseDatabase(caseDir());
    try {
      store.createCase(CASE_INPUT);
      const run = store.startRun({ parameters: { ela: { quality: 90, scale: 15, threshold: 20, previewMaxSide: 512 }, models: [], provider: 'cpu' }, softwareVersion: '0.1.0' });
      assert.throws(
        () => store.db.prepare("INSERT INTO results (run_id, evidence_id, status, analysed_at) VALUES (?, 999, 'ok', 'x')").run(run.id),
        /FOREIGN KEY/,
      );
    } finally {
      store.close();
    }
  });

  it('refuses a database written by a newer schema version, with a clear message, and leaves it alone', () => {
    const dir = caseDir();
    openCaseDatabase(dir).close();
    const raw = new Database(path.join(dir, 'case.sqlite'));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();

    assert.throws(
      () => openCaseDatabase(dir),
      (err: unknown) =>
        err instanceof StoreError &&
        err.code === 'SCHEMA_TOO_NEW' &&
        err.message.includes(`schema version ${SCHEMA_VERSION + 1}`) &&
        err.message.includes('newer version'),
    );
    const check = new Database(path.join(dir, 'case.sqlite'), { readonly: true });
    assert.equal(schemaVersion(check), SCHEMA_VERSION + 1);
    assert.equal((check.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n, SCHEMA_VERSION);
    check.close();
  });

  it('read-only open refuses an outdated database instead of upgrading it', () => {
    const dir = caseDir();
    const raw = new Database(path.join(dir, 'case.sqlite'));
    migrate(raw, { target: 1, actor: 'old-app', now: () => '2024-01-01T00:00:00.000Z' });
    raw.close();
    assert.throws(() => openCaseDatabase(dir, { readonly: true }), (err: unknown) => err instanceof StoreError && err.code === 'SCHEMA_OUTDATED');
    const check = new Database(path.join(dir, 'case.sqlite'), { readonly: true });
    assert.equal(schemaVersion(check), 1);
    check.close();
  });

  it('read-only open of a folder without a database says so', () => {
    assert.throws(() => openCaseDatabase(caseDir(), { readonly: true }), (err: unknown) => err instanceof StoreError && err.code === 'NOT_FOUND');
  });
});

describe('migrations', () => {
  it('upgrades a v1 database to the current version, keeping its rows and back-filling gallery scores', async () => {
    const dir = caseDir();
    const t = () => '2024-06-01T10:00:00.000Z';
    // Build a database exactly as the v1 application left it, rows and audit entries included.
    const raw = new Database(path.join(dir, 'case.sqlite'));
    raw.pragma('foreign_keys = ON');
    migrate(raw, { target: 1, actor: 'old-app', now: t });
    assert.equal(schemaVersion(raw), 1);
    assert.equal(raw.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'result_scores'").pluck().get(), 0);
    const meta = fakeMetadata('/evidence/a.jpg', sha256Of('a'));
    const scoresJson = JSON.stringify([
      { modelId: 'gen-a', task: 'manipulated', score: 0.25, threshold: 0.5, fixture: false },
      { modelId: 'gen-b', task: 'generated', score: 0.75, threshold: 0.6, fixture: true },
    ]);
    raw.transaction(() => {
      raw.prepare("INSERT INTO cases (id, name, created_at) VALUES ('c1', 'Old case', ?)").run(t());
      appendAudit(raw, { at: t(), actor: 'old-app', action: 'case.create', entity: 'case', entityId: 'c1', details: { name: 'Old case' } });
      raw
        .prepare(
          `INSERT INTO evidence (id, case_id, path, file_name, sha256, size, format, width, height, metadata_json, ingested_at)
           VALUES (1, 'c1', ?, 'a.jpg', ?, 1000, 'jpeg', 16, 12, ?, ?)`,
        )
        .run(meta.path, meta.sha256, JSON.stringify(meta), t());
      raw
        .prepare(
          `INSERT INTO analysis_runs (id, case_id, started_at, finished_at, status, parameters_json, software_version)
           VALUES (1, 'c1', ?, ?, 'completed', '{}', '0.0.9')`,
        )
        .run(t(), t());
      raw.prepare("INSERT INTO results (id, run_id, evidence_id, status, scores_json, analysed_at) VALUES (1, 1, 1, 'ok', ?, ?)").run(scoresJson, t());
      raw.prepare("INSERT INTO reviews (evidence_id, verdict, notes, reviewer, flagged, updated_at) VALUES (1, 'generated', 'v1 note', 'old reviewer', 1, ?)").run(t());
    }).immediate();
    raw.close();

    const store = openCaseDatabase(dir, { actor: 'new-app' });
    try {
      assert.equal(schemaVersion(store.db), SCHEMA_VERSION);
      assert.equal(store.getCase()?.name, 'Old case');
      const [item] = store.listEvidence({ sort: 'score' });
      assert.ok(item);
      assert.equal(item.sha256, meta.sha256);
      assert.equal(item.latestResult?.maxScore, 0.75);
      assert.equal(item.score, 0.75);
      assert.equal(item.review?.verdict, 'generated');
      assert.equal(item.review?.notes, 'v1 note');
      assert.deepEqual(
        store.db.prepare('SELECT model_id, score FROM result_scores ORDER BY model_id').all(),
        [
          { model_id: 'gen-a', score: 0.25 },
          { model_id: 'gen-b', score: 0.75 },
        ],
      );
      assert.equal(store.listEvidence({ modelId: 'gen-a' })[0]?.score, 0.25);
      // v5 derived the gallery state of the old rows: scores per task, the review, tile data.
      const tile = store.listGallery({ sort: 'score' }).items[0]!;
      assert.deepEqual(tile.taskScores, { generated: 0.75, manipulated: 0.25, face: null });
      assert.deepEqual([tile.score, tile.scoreModel], [0.75, { modelId: 'gen-b', threshold: 0.6, fixture: true }]);
      assert.deepEqual([tile.verdict, tile.flagged, tile.status], ['generated', true, 'ok']);
      assert.equal(store.listGallery({ sort: 'score', scoreTask: 'manipulated' }).items[0]?.scoreModel?.modelId, 'gen-a');
      assert.deepEqual(evidenceStateProblems(store.db), []);
      // The upgrade itself is in the audit log and the chain spans both versions.
      const log = store.auditLog();
      assert.deepEqual(
        log.map((e) => [e.action, e.actor]),
        [
          ['schema.migrate', 'old-app'],
          ['case.create', 'old-app'],
          ['schema.migrate', 'new-app'],
          ['schema.migrate', 'new-app'],
          ['schema.migrate', 'new-app'],
          ['schema.migrate', 'new-app'],
          ['schema.migrate', 'new-app'],
        ],
      );
      const report = await verifyCase(store, { rehashFiles: false });
      assert.equal(report.chainIntact, true, JSON.stringify(report.chainProblems));
    } finally {
      store.close();
    }
  });

  it('v4 keeps a verified v3 case verified, turns its import.rejected entries into refused items and does not launder a tampered row', async () => {
    const dir = caseDir();
    const t = () => '2025-03-01T09:00:00.000Z';
    // A v3 case as the application left it: two images imported with their audit entries, one
    // file refused (audit entry only), and one evidence row changed behind the store's back.
    const raw = new Database(path.join(dir, 'case.sqlite'));
    raw.pragma('foreign_keys = ON');
    migrate(raw, { target: 3, actor: 'old-app', now: t });
    const files = [await writeJpeg(dir, 'a.jpg', 1), await writeJpeg(dir, 'b.jpg', 2)];
    const metas = await Promise.all(files.map(metadataFor));
    raw.transaction(() => {
      raw.prepare("INSERT INTO cases (id, name, created_at) VALUES ('c1', 'Old case', ?)").run(t());
      appendAudit(raw, { at: t(), actor: 'old-app', action: 'case.create', entity: 'case', entityId: 'c1', details: { name: 'Old case', digest: rowDigestV3(raw, 'cases', 'c1') } });
      raw.prepare(`INSERT INTO analysis_runs (id, case_id, started_at, status, parameters_json, software_version) VALUES (1, 'c1', ?, 'completed', '{}', '0.1.0')`).run(t());
      appendAudit(raw, { at: t(), actor: 'old-app', action: 'run.start', entity: 'run', entityId: 1, details: { digest: rowDigestV3(raw, 'analysis_runs', 1) } });
      metas.forEach((m, i) => {
        raw
          .prepare(`INSERT INTO evidence (id, case_id, path, file_name, sha256, size, format, width, height, metadata_json, ingested_at) VALUES (?, 'c1', ?, ?, ?, ?, 'jpeg', ?, ?, ?, ?)`)
          .run(i + 1, m.path, m.fileName, m.sha256, m.sizeBytes, m.width, m.height, JSON.stringify(m), t());
        appendAudit(raw, { at: t(), actor: 'old-app', action: 'evidence.add', entity: 'evidence', entityId: i + 1, details: { path: m.path, digest: rowDigestV3(raw, 'evidence', i + 1) } });
      });
      appendAudit(raw, { at: t(), actor: 'old-app', action: 'import.rejected', entity: 'file', entityId: '/in/notes.jpg', details: { path: '/in/notes.jpg', runId: 1, error: { code: 'NOT_AN_IMAGE', message: 'notes.jpg is not an image' } } });
    }).immediate();
    raw.prepare("UPDATE evidence SET file_name = 'renamed.jpg' WHERE id = 2").run();
    raw.close();

    const store = openCaseDatabase(dir, { actor: 'new-app' });
    try {
      assert.equal(schemaVersion(store.db), SCHEMA_VERSION);
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on after the rebuild');
      const items = store.listEvidence({ sort: 'time' });
      assert.deepEqual(items.map((i) => [i.fileName, i.refused, i.importedPath, i.storage]), [
        ['a.jpg', false, files[0], 'original'],
        ['renamed.jpg', false, files[1], 'original'],
        ['notes.jpg', true, '/in/notes.jpg', 'original'],
      ]);
      const refused = items[2];
      assert.equal(refused.sha256, null);
      assert.equal(refused.metadata, null);
      assert.equal(refused.latestResult?.status, 'error');
      assert.equal(refused.latestResult?.error?.code, 'NOT_AN_IMAGE');
      assert.equal(store.countEvidence({ hasError: true }), 1, 'the errors filter finds the refused file');
      const report = await verifyCase(store);
      assert.equal(report.chainIntact, true, JSON.stringify(report.chainProblems));
      assert.deepEqual(report.recordProblems.map((p) => [p.entity, p.entityId, p.kind]), [['evidence', '2', 'digest-mismatch']], 'only the tampered row is reported');
      assert.deepEqual(report.evidence.map((e) => e.status), ['ok', 'ok', 'not-hashed']);
      const migrated = store.auditLog({ entity: 'evidence' }).filter((e) => e.action === 'evidence.migrate').map((e) => e.entityId);
      assert.deepEqual(migrated, ['1'], 'the untampered row got a fresh digest, the tampered one did not');
    } finally {
      store.close();
    }
  });

  it('a migration that fails rolls back completely and leaves the version unchanged', () => {
    const dir = caseDir();
    const raw = new Database(path.join(dir, 'case.sqlite'));
    migrate(raw, { target: 1, actor: 'old-app', now: () => '2024-01-01T00:00:00.000Z' });
    // A table in the way of v2 makes its CREATE fail half-way through the migration.
    raw.exec('CREATE TABLE result_scores (x)');
    assert.throws(() => migrate(raw, { actor: 'new-app', now: () => '2024-01-02T00:00:00.000Z' }), /result_scores already exists/);
    assert.equal(schemaVersion(raw), 1);
    const cols = (raw.prepare('PRAGMA table_info(results)').all() as { name: string }[]).map((c) => c.name);
    assert.ok(!cols.includes('max_score'), 'the ALTER TABLE before the failure was rolled back');
    assert.equal(raw.prepare('SELECT COUNT(*) FROM audit_log').pluck().get(), 1);
    raw.close();
  });
});

/** A row's digest as audit entries recorded it up to v3 (the columns of that schema). */
function rowDigestV3(db: Database.Database, table: string, id: string | number): string {
  const columns: Record<string, string[]> = {
    cases: ['id', 'name', 'number', 'examiner', 'organisation', 'description', 'created_at'],
    analysis_runs: ['id', 'case_id', 'started_at', 'finished_at', 'status', 'parameters_json', 'software_version'],
    evidence: ['id', 'case_id', 'path', 'file_name', 'sha256', 'size', 'format', 'width', 'height', 'metadata_json', 'ingested_at'],
  };
  return digestOf(db.prepare(`SELECT ${columns[table].join(', ')} FROM ${table} WHERE id = ?`).get(id) as Record<string, unknown>);
}
