/**
 * Permission tests when the suite runs as root, where chmod 000 does not stop reads: the code
 * under test runs for real in a child process as the unprivileged 'nobody' user, for whom the
 * permissions do apply. Nothing is simulated; if the switch is impossible the test is skipped.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const NOBODY_UID = 65534;
const INGEST_MODULE = fileURLToPath(new URL('../../src/main/ingest/index.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type UnprivilegedRun = { result: unknown } | { skip: string };

/**
 * Runs `body` (an async function body that may use `ingest`, the ingest module, and `args`, and
 * returns a JSON-serialisable value) as user 'nobody'. Callers should include a readable control
 * file, so that a refusal proves the target's permissions, not an untraversable parent folder.
 */
export function runAsNobody(body: string, args: string[]): UnprivilegedRun {
  const script =
    `const ingest = await import(${JSON.stringify(INGEST_MODULE)});\n` +
    `const args = ${JSON.stringify(args)};\n` +
    `const result = await (async () => { ${body} })();\n` +
    `process.stdout.write(JSON.stringify(result));\n`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    uid: NOBODY_UID,
    gid: NOBODY_UID,
    cwd: REPO_ROOT,
    env: { ...process.env, HOME: '/tmp' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (child.error) return { skip: `running as root and cannot run as an unprivileged user (${child.error.message})` };
  // The switch worked but the code failed: that is a real failure, not a reason to skip.
  if (child.status !== 0) throw new Error(`unprivileged child failed (exit ${child.status}): ${child.stderr.trim()}`);
  return { result: JSON.parse(child.stdout) };
}

/** Lets 'nobody' enter and list a test folder (mkdtemp creates it 0700), so only its contents' permissions decide. */
export function openUpForNobody(dir: string): void {
  fs.chmodSync(dir, 0o755);
}
