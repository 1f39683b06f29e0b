import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS_DIR } from '../config';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'provenance.js');

/**
 * The installation state the CLI uses in this test process (settings.json, trained models, the
 * audit-anchor key and log): a temp folder, never the user's own, so the machine's settings
 * never leak in. Tests that play a second installation pass their own PROVENANCE_STATE_DIR.
 */
export const TEST_STATE_DIR = mkdtempSync(join(tmpdir(), 'pl-cli-state-'));
process.on('exit', () => rmSync(TEST_STATE_DIR, { recursive: true, force: true }));

/**
 * The environment every CLI test runs with: the test state folder and the repository's fixture
 * models alone, shown (tests opt in to them; a user's default list hides them; the shipped
 * detectors' tests name their folder). `env` overrides any of these.
 */
export function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PROVENANCE_STATE_DIR: TEST_STATE_DIR, PROVENANCE_SHOW_FIXTURES: '1', PROVENANCE_MODELS_DIR: MODELS_DIR, ...env };
}

/** Runs the real `provenance` command in a child process. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; /** default 180 s */ timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: cliEnv(opts.env), timeout: opts.timeoutMs ?? 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the command without waiting, for tests that kill it mid-run. */
export function spawnCli(args: string[]) {
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv() });
}
