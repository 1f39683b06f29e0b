#!/usr/bin/env node
// `npm start`: build, then launch the Electron app. Electron's binary is downloaded by its
// package from a CDN, which offline machines cannot reach; say exactly what is missing and how
// to get it instead of failing deep inside electron-vite.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;

function electronBinary() {
  try {
    const dir = join(require.resolve('electron/package.json', { paths: [root] }), '..');
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) return { dir, binary: null };
    const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return { dir, binary: existsSync(binary) ? binary : null };
  } catch {
    return { dir: null, binary: null };
  }
}

const { dir, binary } = electronBinary();
if (!binary && !process.env.ELECTRON_OVERRIDE_DIST_PATH) {
  console.error(`Provenance Lab cannot start: the Electron binary is not installed.

The "electron" npm package ${dir ? `is at ${dir} but its dist/ folder` : 'is not installed and its binary'} is missing.
Electron downloads that binary from its CDN during install, which this machine cannot reach
(the project's .npmrc also skips the download so that an offline "npm install" succeeds).

To run the desktop app, either:
  - on a machine with internet access: node node_modules/electron/install.js
  - or copy an Electron ${require('electron/package.json').version} build for this platform and set
    ELECTRON_OVERRIDE_DIST_PATH=/path/to/that/folder

Everything else works without it:
  npx provenance analyze <folder> --out results.jsonl   (the engine, headless)
  npm test                                              (engine, CLI and renderer tests in Chromium)`);
  process.exit(1);
}

const build = spawnSync('npx', ['electron-vite', 'build', '--config', 'electron.config.ts'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync('npx', ['electron-vite', 'preview', '--config', 'electron.config.ts', '--skipBuild'], { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
