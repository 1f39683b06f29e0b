#!/usr/bin/env node
// The one test command (`npm test`, also what .ci/run calls):
//   1. type-check the engine and tests (tsc) and the renderer (svelte-check);
//   2. rebuild out/renderer when anything it imports changed (the e2e and report tests load it);
//   3. the Python trainer's unit tests (python3 -m unittest), when the run includes them;
//   4. every tests/**/*.test.ts through Node's own test runner (tsx loads TypeScript).
// `npm test -- tests/ingest` runs only the files under the given paths (Python tests run when a
// path lies under resources/training); --no-typecheck skips step 1.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const skipTypecheck = args.includes('--no-typecheck');
const roots = args.filter((a) => !a.startsWith('--'));
const PYTHON_TESTS = 'resources/training';

function walk(dir, out, match) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'artifacts' || name === '__pycache__') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out, match);
    else if (match(name)) out.push(p);
  }
  return out;
}

function run(cmd, cmdArgs, options = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...options });
  if (r.error) {
    console.error(`${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!skipTypecheck) {
  console.log('# type-check (main, preload, contract, shared, tests)');
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.node.json']);
  console.log('# type-check (renderer: svelte-check)');
  run(process.execPath, [join(root, 'node_modules/svelte-check/bin/svelte-check'), '--tsconfig', 'tsconfig.web.json', '--threshold', 'error', '--output', 'human']);
}

const selected = roots.length ? roots : ['tests', PYTHON_TESTS];
const nodeRoots = selected.filter((r) => !r.startsWith(PYTHON_TESTS));
const files = nodeRoots
  .flatMap((r) => (statSync(join(root, r)).isDirectory() ? walk(join(root, r), [], (n) => n.endsWith('.test.ts')) : [join(root, r)]))
  .sort()
  .map((f) => relative(root, f));

// The pages are built from src/renderer, src/contract and src/shared: rebuild before any test that loads them.
if (files.some((f) => /^tests\/(e2e|reports|services)\//.test(f))) {
  run(process.execPath, ['--import', 'tsx', join(root, 'scripts/renderer-build.ts')]);
}

const pythonRoots = selected.filter((r) => r.startsWith(PYTHON_TESTS));
if (pythonRoots.length) {
  const pyFiles = pythonRoots.flatMap((r) => (existsSync(join(root, r)) ? walk(join(root, r), [], (n) => /^test_.*\.py$/.test(n)) : []));
  // The interpreter with the distribution's PyTorch (the README's set-up); tests that need torch skip without it.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  if (pyFiles.length === 0) console.log(`# python: no test_*.py under ${pythonRoots.join(', ')}`);
  else if (spawnSync(python, ['--version']).error) console.log(`# python: SKIPPED, ${python} not found (the trainer's unit tests need Python 3)`);
  else {
    // From the trainer's folder, so the tests import provenance_train as train.py does.
    const dirs = [...new Set(pyFiles.map((f) => relative(join(root, PYTHON_TESTS), dirname(f)) || '.'))].sort();
    console.log(`# python: ${pyFiles.length} test file(s) in ${dirs.map((d) => join(PYTHON_TESTS, d)).join(', ')} (python3 -m unittest)`);
    for (const dir of dirs) {
      run(python, ['-B', '-m', 'unittest', 'discover', '-s', dir, '-p', 'test_*.py'], { cwd: join(root, PYTHON_TESTS), env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    }
  }
}

if (files.length === 0) {
  if (nodeRoots.length) {
    console.error('no test files found');
    process.exit(1);
  }
  process.exit(0);
}
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files]);
