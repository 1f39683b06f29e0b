#!/usr/bin/env node
// Packs the app for this machine's platform and architecture as electron-builder lays out an
// installed app (the "dir" target: what every installer of that platform unpacks to), and
// reports its size. `npm run package:dir`. Options:
//   --out DIR            where to write it (default dist/)
//   --electron-dist DIR  an Electron build to pack (default: node_modules/electron/dist, else a
//                        stand-in that can only run as Node; enough to check the layout and the
//                        command line, not to start the desktop app). Native modules are not
//                        rebuilt for Electron here: installers come from \`npm run dist\`.
//   --skip-build         use out/ as it is
//   --json               print the summary as JSON
// tests/packaging/layout.test.ts runs it with the stand-in.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { out: { type: 'string' }, 'electron-dist': { type: 'string' }, 'skip-build': { type: 'boolean' }, json: { type: 'boolean' } } });
const say = (text) => (values.json ? process.stderr.write(`${text}\n`) : console.log(text));

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), s.mtimeMs);
}

/** out/ is fresh when every built entry exists and is newer than everything it is built from. */
function outIsFresh() {
  const built = ['out/main/index.js', 'out/preload/index.js', 'out/renderer/index.html', 'out/renderer/report.html', 'out/cli/provenance.mjs'].map((p) => join(root, p));
  if (!built.every((p) => existsSync(p))) return false;
  const oldest = Math.min(...built.map((p) => statSync(p).mtimeMs));
  return ['src', 'electron.config.ts', 'package.json'].every((p) => newest(join(root, p)) <= oldest);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', values.json ? 'ignore' : 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

if (!values['skip-build'] && !outIsFresh()) {
  say('# building out/ (electron-vite, then the command line)');
  run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--config', 'electron.config.ts']);
  run(process.execPath, [join(root, 'scripts/build-cli.mjs')]);
}

const electronVersion = require(join(root, 'node_modules/electron/package.json')).version;

/** An Electron build to pack: the real one when installed, else a stand-in that runs as Node only. */
function electronDist() {
  if (values['electron-dist']) return values['electron-dist'];
  const real = join(root, 'node_modules/electron/dist');
  if (existsSync(join(real, process.platform === 'win32' ? 'electron.exe' : 'electron'))) return real;
  const dir = mkdtempSync(join(tmpdir(), 'electron-stand-in-'));
  mkdirSync(join(dir, 'resources'));
  const bin = join(dir, process.platform === 'win32' ? 'electron.cmd' : 'electron');
  // As Electron does with ELECTRON_RUN_AS_NODE=1, it behaves as Node; the desktop app itself cannot start.
  writeFileSync(
    bin,
    `#!/bin/sh\nif [ "$ELECTRON_RUN_AS_NODE" = "1" ]; then exec "${process.execPath}" "$@"; fi\necho "stand-in for Electron ${electronVersion}: only ELECTRON_RUN_AS_NODE=1 works" >&2\nexit 1\n`,
  );
  chmodSync(bin, 0o755);
  writeFileSync(join(dir, 'version'), `${electronVersion}\n`);
  writeFileSync(join(dir, 'LICENSE'), 'stand-in\n');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '<p>stand-in</p>\n');
  writeFileSync(join(dir, 'chrome-sandbox'), '');
  return dir;
}

function sizeOf(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, name) => n + sizeOf(join(path, name)), 0);
}

const output = values.out ?? join(root, 'dist');
const dist = electronDist();
const standIn = dist !== values['electron-dist'] && !dist.startsWith(join(root, 'node_modules'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { build, Platform, Arch } = require('electron-builder');
const platform = { linux: Platform.LINUX, darwin: Platform.MAC, win32: Platform.WINDOWS }[process.platform];
const arch = Arch[process.arch];
const started = Date.now();
say(`# electron-builder --dir for ${process.platform}-${process.arch} (Electron ${electronVersion} from ${dist})`);
// electron-builder logs to stdout; with --json, stdout carries only the summary.
const stdoutWrite = process.stdout.write.bind(process.stdout);
if (values.json) process.stdout.write = process.stderr.write.bind(process.stderr);
await build({
  targets: platform.createTarget('dir', arch),
  publish: 'never',
  // No rebuild of the native modules for Electron's ABI: it downloads Electron's headers, and
  // where that fails it has already deleted node_modules/better-sqlite3/build. The layout, the
  // sizes and the command line (run as Node) do not need it; \`npm run dist\` rebuilds for installers.
  config: { ...pkg.build, electronDist: dist, electronVersion, npmRebuild: false, directories: { ...pkg.build.directories, output } },
});
process.stdout.write = stdoutWrite;
const unpacked = readdirSync(output).map((d) => join(output, d)).find((d) => /-unpacked$|^mac/.test(relative(output, d)) && statSync(d).isDirectory());
const resources = process.platform === 'darwin' ? join(unpacked, `${pkg.build.productName}.app`, 'Contents', 'Resources') : join(unpacked, 'resources');
const summary = {
  platform: process.platform,
  arch: process.arch,
  electron: electronVersion,
  standIn,
  dir: unpacked,
  resources,
  seconds: Math.round((Date.now() - started) / 1000),
  bytes: {
    total: sizeOf(unpacked),
    electron: sizeOf(unpacked) - sizeOf(resources),
    appAsar: sizeOf(join(resources, 'app.asar')),
    unpackedModules: sizeOf(join(resources, 'app.asar.unpacked', 'node_modules')),
    onnxruntime: sizeOf(join(resources, 'app.asar.unpacked', 'node_modules', 'onnxruntime-node')),
    cli: sizeOf(join(resources, 'app.asar.unpacked', 'out', 'cli')),
    models: sizeOf(join(resources, 'models')),
  },
};
if (values.json) console.log(JSON.stringify(summary, null, 2));
else {
  const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  console.log(`${summary.dir}: ${mb(summary.bytes.total)} (Electron ${mb(summary.bytes.electron)}${summary.standIn ? ', a stand-in here' : ''}; app.asar ${mb(summary.bytes.appAsar)}; unpacked native modules ${mb(summary.bytes.unpackedModules)}, of which onnxruntime ${mb(summary.bytes.onnxruntime)}; command line ${mb(summary.bytes.cli)}; models ${mb(summary.bytes.models)})`);
  console.log(`run the command line from it: ${join(resources, process.platform === 'win32' ? 'provenance.cmd' : 'provenance')} --help`);
}
