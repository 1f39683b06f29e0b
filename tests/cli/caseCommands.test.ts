import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { makeJpeg } from '../fixtures/images';
import { runCli, spawnCli } from './run';

async function makeEvidence(dir: string, n: number, size = 160): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) await makeJpeg(join(dir, `e-${String(i).padStart(3, '0')}.jpg`), { width: size, height: Math.round(size * 0.75), seed: i });
}

function counts(caseDir: string) {
  const db = new Database(join(caseDir, 'case.sqlite'), { readonly: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      evidence: one('SELECT count(*) AS n FROM evidence'),
      results: one('SELECT count(*) AS n FROM results'),
      distinctResults: one('SELECT count(DISTINCT evidence_id) AS n FROM results'),
      runs: one('SELECT count(*) AS n FROM analysis_runs'),
    };
  } finally {
    db.close();
  }
}

describe('provenance import / verify', () => {
  test('an import killed with SIGKILL mid-batch resumes without losing or duplicating results', async () => {
    const root = mkdtempSync(join(tmpdir(), 'import-kill-'));
    const evidence = join(root, 'evidence');
    const n = 36;
    await makeEvidence(evidence, n, 480);
    const caseDir = join(root, 'case');

    const child = spawnCli(['import', caseDir, evidence, '--name', 'Kill test', '--examiner', 'QA', '--quiet']);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Kill once some results are committed (the database is polled read-only, as another examiner would).
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (!existsSync(join(caseDir, 'case.sqlite'))) return;
        try {
          if (counts(caseDir).results >= 4) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        } catch {
          // the schema may not exist yet
        }
      }, 25);
      child.on('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`import ended (code ${code}) before it could be killed: ${stderr}`));
      });
    });
    await new Promise((r) => child.on('exit', r));
    const killed = counts(caseDir);
    assert.ok(killed.results >= 4 && killed.results < n, `killed part-way: ${killed.results}/${n}`);
    assert.equal(killed.results, killed.evidence, 'every committed evidence item has its result (same transaction)');

    const resumed = runCli(['import', caseDir, evidence, '--quiet']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`resumed run 1: ${n - killed.results} imported, 0 refused or failed \\(kept as items with the reason\\), ${killed.results} already done`));
    const after = counts(caseDir);
    assert.deepEqual(after, { evidence: n, results: n, distinctResults: n, runs: 1 });

    const verify = runCli(['verify', caseDir]);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /audit chain: INTACT/);
    assert.match(verify.stdout, new RegExp(`evidence files: ${n}/${n} match`));
    assert.match(verify.stdout, /VERIFIED: case intact/);
  });

  test('verify reports a modified evidence file and an edited audit row', async () => {
    const root = mkdtempSync(join(tmpdir(), 'verify-'));
    const evidence = join(root, 'evidence');
    await makeEvidence(evidence, 3);
    const caseDir = join(root, 'case');
    assert.equal(runCli(['import', caseDir, evidence, '--name', 'Verify', '--quiet', '--models', 'fixture-texture-cnn']).status, 0);
    assert.equal(runCli(['verify', caseDir]).status, 0);

    appendFileSync(join(evidence, 'e-001.jpg'), Buffer.from([0])); // one byte added after import
    const modified = runCli(['verify', caseDir]);
    assert.equal(modified.status, 1);
    assert.match(modified.stdout, /evidence files: 2\/3 match/);
    assert.match(modified.stdout, /MODIFIED\s+\S*e-001\.jpg/);
    assert.match(modified.stdout, /audit chain: INTACT/);

    // An attacker with the file: drop the append-only trigger, rewrite history.
    const db = new Database(join(caseDir, 'case.sqlite'));
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'").all() as { name: string }[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    const target = db.prepare("SELECT seq FROM audit_log WHERE action = 'case.create'").get() as { seq: number };
    db.prepare("UPDATE audit_log SET details_json = json_set(details_json, '$.name', 'Other case') WHERE seq = ?").run(target.seq);
    db.close();
    const edited = runCli(['verify', caseDir, '--json']);
    assert.equal(edited.status, 1);
    const report = JSON.parse(edited.stdout) as { chainIntact: boolean; chainProblems: { seq: number; kind: string }[] };
    assert.equal(report.chainIntact, false);
    assert.equal(report.chainProblems[0].seq, target.seq);
    assert.equal(report.chainProblems[0].kind, 'hash-mismatch');
  });

  test('a path that does not exist stops import before anything is written, even a new case folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'import-typo-'));
    const caseDir = join(root, 'case');
    const r = runCli(['import', caseDir, join(root, 'no-such-folder'), '--name', 'Typo', '--quiet']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no-such-folder does not exist: check the path\. Nothing was imported\./);
    assert.equal(existsSync(caseDir), false, 'no case folder, no database, no audit entry');
  });

  test('relink: moved evidence is MISSING, found again by hash, then RELINKED in verify', async () => {
    const root = mkdtempSync(join(tmpdir(), 'relink-'));
    const evidence = join(root, 'evidence');
    await makeEvidence(evidence, 2);
    const caseDir = join(root, 'case');
    assert.equal(runCli(['import', caseDir, evidence, '--name', 'Relink', '--examiner', 'QA', '--quiet', '--models', 'fixture-texture-cnn']).status, 0);
    const moved = join(root, 'other-disk', 'copied-here');
    mkdirSync(join(root, 'other-disk'));
    renameSync(evidence, moved);

    const missing = runCli(['verify', caseDir]);
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /MISSING\s+\S*e-000\.jpg/);

    const relink = runCli(['relink', caseDir, join(root, 'other-disk'), '--examiner', 'QA']);
    assert.equal(relink.status, 0, relink.stdout + relink.stderr);
    assert.match(relink.stdout, /2 relinked, 0 still missing/);

    const after = runCli(['verify', caseDir]);
    assert.equal(after.status, 0, after.stdout);
    assert.match(after.stdout, /evidence files: 2\/2 match their SHA-256 at import \(2 RELINKED: found by hash at a new location\)/);
    assert.match(after.stdout, /RELINKED\s+\S*copied-here\/e-000\.jpg\s+\S*evidence\/e-000\.jpg/);
  });
});
