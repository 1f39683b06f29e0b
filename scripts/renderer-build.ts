// The built renderer (out/renderer: the app's page and the report page), rebuilt when anything
// it imports changed. What it may import is fixed by the architecture rules (tests/architecture):
// src/renderer, src/contract, src/shared and its packages; so those folders, the build
// configuration and the lockfile are its sources. Used by `npm test` (scripts/test.mjs runs
// this file) and by the tests that need the pages (e2e, reports).
//   node --import tsx scripts/renderer-build.ts        build if stale, say which
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RENDERER_DIR = path.join(ROOT, 'out/renderer');
export const RENDERER_SOURCES = ['src/renderer', 'src/contract', 'src/shared', 'electron.config.ts', 'package-lock.json'];
/** Every page the renderer build emits (electron.config.ts renderer inputs): all must be newer than the sources. */
const BUILT_PAGES = ['index.html', 'report.html'];
const LOCK_DIR = path.join(ROOT, 'out/.renderer-build-lock');

function newest(p: string): { mtimeMs: number; path: string } {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return { mtimeMs: stat.mtimeMs, path: p };
  let best = { mtimeMs: stat.mtimeMs, path: p };
  for (const name of fs.readdirSync(p)) {
    const n = newest(path.join(p, name));
    if (n.mtimeMs > best.mtimeMs) best = n;
  }
  return best;
}

/** Null when out/renderer is newer than every source; otherwise why it must be rebuilt. */
export function rendererStaleReason(): string | null {
  const pages = BUILT_PAGES.map((p) => path.join(RENDERER_DIR, p));
  const missing = pages.find((p) => !fs.existsSync(p));
  if (missing) return `${path.relative(ROOT, missing)} is missing`;
  const built = Math.min(...pages.map((p) => fs.statSync(p).mtimeMs));
  for (const source of RENDERER_SOURCES) {
    const changed = newest(path.join(ROOT, source));
    if (changed.mtimeMs > built) return `${path.relative(ROOT, changed.path)} changed after the last build`;
  }
  return null;
}

async function buildRenderer(): Promise<void> {
  const [{ build }, { default: config }] = await Promise.all([import('vite'), import('../electron.config')]);
  const renderer = config.renderer;
  if (!renderer) throw new Error('electron.config.ts has no renderer section');
  // The same renderer section `electron-vite build` uses, with the defaults electron-vite adds
  // for a production renderer (relative base so file:// works in Electron too).
  await build({
    ...(renderer as Record<string, unknown>),
    configFile: false,
    base: './',
    mode: 'production',
    logLevel: 'warn',
    build: { ...renderer.build, emptyOutDir: true, target: 'chrome120', modulePreload: { polyfill: false } },
  });
}

/**
 * Builds out/renderer when it is stale. Test files run in parallel processes: a lock directory
 * makes the first one build while the others wait and then reuse its output.
 */
export async function ensureRendererBuilt(): Promise<string> {
  const deadline = Date.now() + 180_000;
  while (rendererStaleReason() !== null) {
    fs.mkdirSync(path.dirname(LOCK_DIR), { recursive: true });
    try {
      fs.mkdirSync(LOCK_DIR);
    } catch {
      // Someone else is building; a lock older than the deadline is from a killed process.
      const age = Date.now() - (fs.statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age > 180_000) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for another process to build the renderer (${LOCK_DIR})`);
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      if (rendererStaleReason() !== null) await buildRenderer();
    } finally {
      fs.rmSync(LOCK_DIR, { recursive: true, force: true });
    }
  }
  return RENDERER_DIR;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const reason = rendererStaleReason();
  if (reason === null) console.log('# renderer: out/renderer is up to date');
  else {
    console.log(`# renderer: rebuilding (${reason})`);
    const started = performance.now();
    await ensureRendererBuilt();
    console.log(`# renderer: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
