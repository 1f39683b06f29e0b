import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findPython, installHint, pythonSettings } from '../../src/main/training/python';
import { SCRIPTS_DIR, testConfig } from '../config';
import { pythonForTests } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-python-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A real Python 3 that cannot see the system's site-packages (-S): torch is not importable. */
function pythonWithoutTorch(): string | null {
  if (!existsSync('/usr/bin/python3')) return null;
  const path = join(tmp, 'python-no-site');
  writeFileSync(path, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  chmodSync(path, 0o755);
  return path;
}

test('finds a Python with torch and torchvision and reports its versions and device', async (t) => {
  const found = await pythonForTests();
  if ('skip' in found) return t.skip(found.skip);
  const { env } = found;
  assert.match(env.python, /^3\.\d+/);
  assert.match(env.torch, /^\d+\.\d+/);
  assert.match(env.torchvision, /^\d+\.\d+/);
  assert.ok(['cuda', 'mps', 'cpu'].includes(env.device.kind), `device ${JSON.stringify(env.device)}`);
  assert.ok(env.device.name.length > 0);
  assert.ok(existsSync(env.executable), `${env.executable} exists`);
  // Every candidate before the chosen one says why it was passed over.
  for (const p of env.probes.slice(0, -1)) assert.ok(!p.ok && p.problem, `${p.command}: ${p.problem}`);
});

test('a configured Python without torch is reported and the next candidate is used', async (t) => {
  const noTorch = pythonWithoutTorch();
  if (!noTorch) return t.skip('/usr/bin/python3 is absent, so no torch-less wrapper can be made');
  const withTorch = await pythonForTests();
  if ('skip' in withTorch) return t.skip(withTorch.skip);
  const env = await findPython({ python: noTorch, scriptsDir: SCRIPTS_DIR, candidates: [withTorch.env.executable], fresh: true });
  assert.equal(env.found, true);
  assert.equal(env.probes[0].source, 'option');
  assert.equal(env.probes[0].ok, false);
  assert.match(env.probes[0].problem!, /no PyTorch/);
  assert.equal(env.found && env.executable, withTorch.env.executable);

  // PROVENANCE_PYTHON reaches findPython through the configuration, labelled as coming from the environment.
  const config = testConfig({ env: { PROVENANCE_PYTHON: noTorch } });
  assert.equal(config.python, noTorch);
  const viaEnv = await findPython({ ...pythonSettings(config), candidates: [], fresh: true });
  assert.equal(viaEnv.probes[0].source, 'env');
  assert.equal(viaEnv.found, false);
});

test('with no usable Python the answer explains what to install', async () => {
  const env = await findPython({ scriptsDir: SCRIPTS_DIR, candidates: [join(tmp, 'no-such-python'), process.execPath], platform: 'linux', fresh: true });
  assert.equal(env.found, false);
  if (env.found) return;
  assert.deepEqual(env.probes.map((p) => p.ok), [false, false]);
  assert.match(env.probes[0].problem!, /not found/);
  // Node is not a Python: it cannot run the probe script.
  assert.match(env.probes[1].problem!, /not a working Python 3/);
  assert.match(env.install, /apt-get install python3-torch python3-torchvision python3-onnx/);
  assert.match(env.install, /pip install torch torchvision onnx/);
  assert.match(installHint('win32'), /py -3 -m pip install torch torchvision onnx/);
  assert.match(installHint('darwin'), /MPS/);
});
