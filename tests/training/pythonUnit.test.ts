// The trainer package's own unit tests (tests/training/python/test_*.py: job schema, tensors-only
// checkpoints, work-folder confinement, the event protocol), run with `python3 -m unittest` by
// the Python the app would train with. They skip, saying why, where no such Python exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pythonForTests } from './helpers';

const ROOT = join(import.meta.dirname, '..', '..');

test('the Python trainer unit tests pass (python3 -m unittest)', { timeout: 600_000 }, async (t) => {
  const found = await pythonForTests();
  if ('skip' in found) return t.skip(found.skip);
  const r = spawnSync(found.env.executable, ['-m', 'unittest', 'discover', '-s', join('tests', 'training', 'python'), '-t', '.', '-p', 'test_*.py'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    timeout: 580_000,
  });
  // unittest reports on stderr: "Ran N tests" and "OK" or the failures.
  const report = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, report.slice(-6000));
  const ran = Number(/Ran (\d+) tests?/.exec(report)?.[1] ?? 0);
  assert.ok(ran >= 10, `ran ${ran} Python tests:\n${report.slice(-2000)}`);
  t.diagnostic(`${ran} Python tests: ${report.trim().split('\n').at(-1)}`);
});
