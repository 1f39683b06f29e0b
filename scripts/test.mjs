#!/usr/bin/env node
// The one test command (`npm test`, also what .ci/run calls): type-check, then every
// tests/**/*.test.ts through Node's own test runner (tsx loads TypeScript).
// `npm test -- tests/ingest` runs only the files under the given paths.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const skipTypecheck = args.includes('--no-typecheck');
const roots = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'artifacts') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!skipTypecheck) {
  console.log('# type-check (main, preload, contract, tests)');
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.node.json']);
}

const files = (roots.length ? roots : ['tests'])
  .flatMap((r) => (statSync(join(root, r)).isDirectory() ? walk(join(root, r), []) : [join(root, r)]))
  .sort()
  .map((f) => relative(root, f));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files]);
