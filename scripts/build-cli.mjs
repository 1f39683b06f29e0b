#!/usr/bin/env node
// Builds the `provenance` command into out/cli with esbuild: one ES module with every pure-JS
// dependency inside, and the worker threads (prepare stage, inference) beside it. The native modules (sharp,
// onnxruntime-node, better-sqlite3) stay outside: the packaged app keeps them unpacked from the
// asar (package.json "build.asarUnpack"), so the command runs with the Node.js inside Electron
// (ELECTRON_RUN_AS_NODE) or any Node 20, without tsx and without the source tree.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outdir = join(root, 'out', 'cli');
rmSync(outdir, { recursive: true, force: true });

/**
 * Modules loaded at run time from node_modules, never bundled. ExifTool (a Perl script the
 * vendored package finds beside itself) and c2pa-rs (a WebAssembly file resolved from its package)
 * read their own package folders, so they must stay where npm put them.
 */
export const CLI_EXTERNAL = ['sharp', 'onnxruntime-node', 'better-sqlite3', 'electron', 'tsx', 'tsx/*', 'playwright-core', 'exiftool-vendored', 'exiftool-vendored.pl', '@contentauth/c2pa-wasm'];

const started = Date.now();
const result = await build({
  entryPoints: {
    provenance: join(root, 'src/main/cli/bin.ts'),
    prepareWorker: join(root, 'src/main/pipeline/prepareWorker.ts'),
    inferenceWorker: join(root, 'src/main/inference/inferenceWorker.ts'),
  },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: CLI_EXTERNAL,
  // Bundled CommonJS code calls require() for Node's own modules.
  banner: { js: "import { createRequire as __provenanceRequire } from 'node:module'; const require = __provenanceRequire(import.meta.url);" },
  define: { __SOFTWARE_VERSION__: JSON.stringify(`${pkg.name} ${pkg.version}`) },
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`out/cli: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
