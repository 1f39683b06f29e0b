// The packaged app as an installer lays it out (issue 11, findings 9, 10 and 12): built by
// scripts/package-layout.mjs with a stand-in for the Electron binary (electronDist), it must
// carry the `provenance` command and run it from its own resources (no tsx, no source tree), hold
// the native binaries of this platform and architecture only, and ship exactly pinned dependencies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { SHIPPED_DETECTORS } from '../config';

const ROOT = path.join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const skip = process.platform === 'win32' ? 'the stand-in Electron and the launcher checked here are POSIX shell scripts' : undefined;

interface Summary {
  dir: string;
  resources: string;
  standIn: boolean;
  seconds: number;
  bytes: Record<string, number>;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

describe('packaged layout', { skip }, () => {
  let work: string;
  let summary: Summary;
  let provenance: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-layout-'));
    // Builds out/ first when it is older than the sources (a clean clone: about a minute here).
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/package-layout.mjs'), '--out', path.join(work, 'dist'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    summary = JSON.parse(r.stdout) as Summary;
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    console.log(`# packaged ${summary.dir} in ${summary.seconds} s: ${Object.entries(summary.bytes).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}`);
    provenance = path.join(summary.resources, 'provenance');
    // The installation's state (anchor key) in the scratch folder, not the user's.
    // The shipped models are the repository's test fixtures, hidden by default: the test opts in.
    env = { ...process.env, PROVENANCE_STATE_DIR: path.join(work, 'state'), PROVENANCE_USER_MODELS_DIR: path.join(work, 'state', 'models'), PROVENANCE_SHOW_FIXTURES: '1' };
    // The launcher says where the models are; nothing from this checkout may stand in for them.
    delete env.PROVENANCE_MODELS_DIR;
    delete env.PROVENANCE_TRAINING_DIR;
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const run = (args: string[], cwd = work) => spawnSync(provenance, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });

  test('the launcher runs the built command from the packaged resources, with its models', () => {
    assert.equal(summary.standIn, true, 'packed with the stand-in Electron (the real binary is not installed here)');
    assert.ok(fs.existsSync(path.join(summary.resources, 'app.asar.unpacked', 'out', 'cli', 'provenance.mjs')));
    assert.ok(fs.statSync(provenance).mode & 0o111, 'the launcher is executable');
    const models = run(['models', '--json']);
    assert.equal(models.status, 0, models.stderr);
    const listed = JSON.parse(models.stdout) as { models: { id?: string; manifest?: { id: string }; status: string }[] };
    assert.deepEqual(listed.models.map((m) => [m.manifest?.id ?? m.id, m.status]).sort(), [['fixture-ela-cnn', 'ok'], ['fixture-texture-cnn', 'ok'], ...SHIPPED_DETECTORS.map((id) => [id, 'ok'])].sort());
    const help = run(['--help']);
    assert.match(help.stdout, /provenance verify <case-folder> \[--expect-head SEQ:HASH\]/);
  });

  test('analyse, import and verify run there: the native modules load from the unpacked resources', async () => {
    const evidence = path.join(work, 'evidence');
    fs.mkdirSync(evidence);
    await sharp({ create: { width: 160, height: 120, channels: 3, background: '#6a4a2a' } }).jpeg({ quality: 85 }).toFile(path.join(evidence, 'a.jpg'));
    const analysed = run(['analyze', evidence, '--out', path.join(work, 'r.jsonl'), '--quiet']);
    assert.equal(analysed.status, 0, analysed.stderr);
    const record = JSON.parse(fs.readFileSync(path.join(work, 'r.jsonl'), 'utf8').trim().split('\n')[0]) as { status: string; scores: { provider: string }[] };
    assert.equal(record.status, 'ok');
    assert.equal(record.scores.length, 2 + SHIPPED_DETECTORS.length, 'both fixture models and the installed detectors scored it (onnxruntime)');
    const imported = run(['import', path.join(work, 'case'), evidence, '--name', 'Packaged', '--quiet']);
    assert.equal(imported.status, 0, imported.stderr);
    const verified = run(['verify', path.join(work, 'case')]);
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /VERIFIED: case intact, anchored/);
    // Through a link on the PATH, as installation instructions suggest.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(provenance, path.join(bin, 'provenance'));
    const linked = spawnSync(path.join(bin, 'provenance'), ['models'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(linked.status, 0, linked.stderr);
  });

  test('only this platform\'s and architecture\'s native binaries are inside', () => {
    const asar = require('@electron/asar') as { listPackage(p: string): string[] };
    const files = [...walk(summary.dir).map((f) => path.relative(summary.dir, f)), ...asar.listPackage(path.join(summary.resources, 'app.asar')).map((f) => `app.asar${f}`)];
    const ortTargets = new Set(files.map((f) => /onnxruntime-node\/bin\/napi-v\d+\/([^/]+)\/([^/]+)\//.exec(f)).filter((m) => m).map((m) => `${m![1]}/${m![2]}`));
    assert.deepEqual([...ortTargets], [`${process.platform}/${process.arch}`]);
    const sharpTargets = new Set(files.map((f) => /@img\/sharp-(?:libvips-)?([a-z0-9]+-[a-z0-9]+)/.exec(f)?.[1]).filter((t): t is string => t !== undefined && t !== 'libvips'));
    for (const t of sharpTargets) assert.ok(t.startsWith(`${process.platform}`) && t.endsWith(process.arch), `sharp binary for ${t}`);
    const natives = files.filter((f) => f.endsWith('.node') || /\.(so(\.\d+)*|dylib|dll)$/.test(f));
    assert.ok(natives.length > 0);
    for (const f of natives) assert.doesNotMatch(f, /(darwin|win32|mac|windows)[-/]/i, f);
    assert.ok(!files.some((f) => f.endsWith('test_extension.node')), 'no better-sqlite3 test build');
    // Dev-only tools stay out: the command is bundled, reports print with the system's browser.
    for (const dev of ['tsx', 'playwright-core', 'esbuild', 'electron-builder', 'typescript']) {
      assert.ok(!files.some((f) => f.includes(`node_modules/${dev}/`)), `${dev} is not shipped`);
    }
    assert.ok(summary.bytes.onnxruntime < 80 * 1024 * 1024, `onnxruntime-node is ${(summary.bytes.onnxruntime / 1024 / 1024).toFixed(0)} MB (288 MB with every platform)`);
  });

  test('direct dependencies are pinned exactly, as the lockfile resolves them', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity?: string; dev?: boolean }> };
    for (const section of ['dependencies', 'devDependencies']) {
      for (const [name, range] of Object.entries(pkg[section])) {
        assert.match(range, /^\d+\.\d+\.\d+$/, `${name} is pinned (${range})`);
        const locked = lock.packages[`node_modules/${name}`];
        assert.equal(locked?.version, range, `${name}: package.json and the lockfile agree`);
        assert.match(locked.integrity ?? '', /^sha512-/, `${name} has an integrity hash`);
      }
    }
    for (const dev of ['tsx', 'playwright-core']) assert.ok(pkg.devDependencies[dev] && !pkg.dependencies[dev], `${dev} is a dev dependency`);
  });
});
