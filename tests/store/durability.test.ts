import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import { openCaseDatabase } from '../../src/main/store/open';
import { verifyCase } from '../../src/main/store/verify';
import { CASE_INPUT, RUN_PARAMETERS, fakeMetadata, removeDir, sha256Of, tempDir } from './helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const TOTAL = 5000;
const KILL_AFTER = 150;

it('a writer killed with SIGKILL mid-run loses no committed result and leaves no partial one', async () => {
  const caseDir = tempDir();
  dirs.push(caseDir);
  const setup = openCaseDatabase(caseDir);
  setup.createCase(CASE_INPUT);
  setup.transaction(() => {
    for (let i = 0; i < TOTAL; i++) setup.addEvidence(fakeMetadata(`/ev/${i}.jpg`, sha256Of(`file ${i}`)));
  });
  const runId = setup.startRun({ parameters: RUN_PARAMETERS, softwareVersion: '0.1.0' }).id;
  setup.close();

  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'durabilityChild.ts'), caseDir, String(runId)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!killed && stdout.includes(`committed ${KILL_AFTER}\n`)) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  assert.equal(exit.signal, 'SIGKILL', `child ended on its own (code ${exit.code}): ${stderr}`);

  const reported = Math.max(...[...stdout.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1])));
  assert.ok(reported >= KILL_AFTER && reported < TOTAL, `killed mid-way (${reported} of ${TOTAL} reported)`);

  const store = openCaseDatabase(caseDir);
  try {
    const results = store.db.prepare('SELECT COUNT(*) FROM results').pluck().get() as number;
    // Every reported commit survived; at most the one committed but not yet reported is extra.
    assert.ok(results === reported || results === reported + 1, `${results} results stored, ${reported} reported committed`);
    // Whole results only: each has its two model-score rows and exactly one audit entry.
    assert.equal(store.db.prepare('SELECT COUNT(*) FROM result_scores').pluck().get(), results * 2);
    assert.equal(store.auditLog({ entity: 'result' }).length, results);
    assert.equal(store.finishedEvidenceIds(runId).length, results);
    assert.equal(store.resumableRun()?.id, runId, 'the killed run is offered for resuming');
    const withScore = store.listEvidence({ analysed: true });
    assert.equal(withScore.length, results);
    assert.ok(withScore.every((i) => i.latestResult?.scores.length === 2 && i.latestResult.scores[0]!.cropScores.length === 64));

    const report = await verifyCase(store, { rehashFiles: false });
    assert.equal(report.chainIntact, true, JSON.stringify(report.chainProblems));
    assert.deepEqual(report.recordProblems, []);
  } finally {
    store.close();
  }
});
