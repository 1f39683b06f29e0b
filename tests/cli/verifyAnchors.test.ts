// `provenance verify` and `provenance anchor` against anchors (issue 11, findings 1 and 8):
// VERIFIED only when an anchor pins the log, "chain intact, not anchored" otherwise, rollback
// caught through the installation's anchor, --expect-head on another installation, and file
// names full of terminal escape sequences printed inert.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeJpeg } from '../fixtures/images';
import { runCli } from './run';

/** A name that, printed raw, retitles the terminal window, turns text red and clears the screen. */
const HOSTILE = 'evil\x1b]0;owned\x07\x1b[31m\x1b[2J\u202egpj.jpg';

describe('provenance verify with anchors', () => {
  let root: string;
  let caseDir: string;
  let evidence: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'verify-anchors-'));
    evidence = join(root, 'evidence');
    mkdirSync(evidence);
    for (let i = 0; i < 2; i++) await makeJpeg(join(evidence, `e-${i}.jpg`), { width: 96, height: 72, seed: i });
    await makeJpeg(join(evidence, HOSTILE), { width: 96, height: 72, seed: 9 });
    caseDir = join(root, 'case');
    const imported = runCli(['import', caseDir, evidence, '--name', 'Anchors', '--examiner', 'QA', '--quiet', '--models', 'fixture-texture-cnn']);
    assert.equal(imported.status, 0, imported.stderr);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('VERIFIED with the anchor the import made; "chain intact, not anchored" (exit 3) on an installation without one', () => {
    const here = runCli(['verify', caseDir]);
    assert.equal(here.status, 0, here.stdout + here.stderr);
    assert.match(here.stdout, /VERIFIED: case intact, anchored at entry #\d+/);
    assert.match(here.stdout, /ok \[installation\] the import anchor/);

    const elsewhere = runCli(['verify', caseDir], { env: { PROVENANCE_STATE_DIR: join(root, 'other-installation') } });
    assert.equal(elsewhere.status, 3, elsewhere.stdout + elsewhere.stderr);
    assert.match(elsewhere.stdout, /chain intact, not anchored/);
    assert.doesNotMatch(elsewhere.stdout, /VERIFIED/);

    // The head noted down (or printed on a report) is an anchor any installation can use.
    const head = /head #(\d+) ([0-9a-f]{64})/.exec(here.stdout)!;
    const quoted = runCli(['verify', caseDir, '--expect-head', `${head[1]}:${head[2]}`, '--json'], { env: { PROVENANCE_STATE_DIR: join(root, 'other-installation') } });
    assert.equal(quoted.status, 0, quoted.stdout);
    const report = JSON.parse(quoted.stdout);
    assert.equal(report.status, 'verified');
    assert.deepEqual(report.anchored.source, 'expected');
    const wrong = runCli(['verify', caseDir, '--expect-head', `${head[1]}:${'0'.repeat(64)}`], { env: { PROVENANCE_STATE_DIR: join(root, 'other-installation') } });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stdout, /NOT VERIFIED/);
    const malformed = runCli(['verify', caseDir, '--expect-head', '12:abc']);
    assert.equal(malformed.status, 2);
    assert.match(malformed.stderr, /seq:hash/);
  });

  test('an older copy of case.sqlite put back after more work fails (exit 1), naming the anchor it contradicts', async () => {
    const work = join(root, 'rollback');
    mkdirSync(work);
    const older = join(work, 'case.sqlite.older');
    copyFileSync(join(caseDir, 'case.sqlite'), older);
    await makeJpeg(join(work, 'later.jpg'), { width: 96, height: 72, seed: 77 });
    assert.equal(runCli(['import', caseDir, join(work, 'later.jpg'), '--quiet', '--models', 'fixture-texture-cnn']).status, 0);
    assert.equal(runCli(['verify', caseDir, '--no-files']).status, 0);

    const current = readFileSync(join(caseDir, 'case.sqlite'));
    copyFileSync(older, join(caseDir, 'case.sqlite'));
    try {
      const r = runCli(['verify', caseDir, '--no-files']);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, /MISSING \[installation\] the import anchor #\d+ .* the log ends at #\d+: entries were removed or an older copy of the database was restored/);
      assert.match(r.stdout, /NOT VERIFIED/);
    } finally {
      writeFileSync(join(caseDir, 'case.sqlite'), current);
    }
  });

  test('file names with terminal escapes are printed escaped (and JSON stays parseable)', () => {
    // Change the hostile file so verify lists it among the bad files.
    writeFileSync(join(evidence, HOSTILE), Buffer.concat([readFileSync(join(evidence, HOSTILE)), Buffer.from('tail')]));
    const r = runCli(['verify', caseDir]);
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stdout + r.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/, 'no control character reaches the terminal');
    assert.ok(r.stdout.includes('evil\\u001b]0;owned\\u0007\\u001b[31m\\u001b[2J\\u202egpj.jpg'), r.stdout);
    assert.match(r.stdout, /MODIFIED/);

    const json = runCli(['verify', caseDir, '--json']);
    assert.doesNotMatch(json.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    const parsed = JSON.parse(json.stdout) as { evidence: { path: string; status: string }[] };
    assert.ok(parsed.evidence.some((e) => e.path.endsWith(HOSTILE) && e.status === 'modified'), 'the JSON carries the real name');
  });

  test('provenance anchor pins a verified case and refuses one that does not verify', async () => {
    const fresh = join(root, 'anchor-state');
    const otherCase = join(root, 'case-2');
    const one = join(root, 'one');
    mkdirSync(one);
    await makeJpeg(join(one, 'a.jpg'), { width: 64, height: 48, seed: 3 });
    assert.equal(runCli(['import', otherCase, one, '--name', 'Two', '--quiet', '--models', 'fixture-texture-cnn'], { env: { PROVENANCE_STATE_DIR: join(root, 'importer-state') } }).status, 0);
    assert.equal(runCli(['verify', otherCase], { env: { PROVENANCE_STATE_DIR: fresh } }).status, 3);
    const anchored = runCli(['anchor', otherCase], { env: { PROVENANCE_STATE_DIR: fresh } });
    assert.equal(anchored.status, 0, anchored.stdout + anchored.stderr);
    assert.match(anchored.stdout, /anchored entry #\d+ [0-9a-f]{64}/);
    assert.equal(runCli(['verify', otherCase], { env: { PROVENANCE_STATE_DIR: fresh } }).status, 0);

    // The first case has a modified file now: nothing is anchored over a problem.
    const refused = runCli(['anchor', caseDir], { env: { PROVENANCE_STATE_DIR: fresh } });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /not anchored: the case must verify first/);
  });
});
