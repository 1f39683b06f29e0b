import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { walkEvidence, type WalkEntry } from '../../src/main/ingest/walk';
import { permissionsAreIgnored } from '../fixtures/images';
import { openUpForNobody, runAsNobody } from './unprivileged';

async function collect(paths: string[], opts?: Parameters<typeof walkEvidence>[1]): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const entry of walkEvidence(paths, opts)) out.push(entry);
  return out;
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-walk-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(file: string, content = 'x'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

test('recursion with a sorted, depth-first, repeatable order; only OS junk is skipped', async (t) => {
  const root = tempDir(t);
  const files = [
    'b.jpg',
    'a.png',
    'Z.jpg',
    '.hidden.jpg',
    'notes.txt',
    'sub/c.jpg',
    'sub/deeper/d.jpg',
    'sub2/e.heic',
  ].map((f) => write(path.join(root, f)));
  write(path.join(root, '.DS_Store'));
  write(path.join(root, 'sub', 'Thumbs.db'));
  fs.mkdirSync(path.join(root, 'empty-folder'));

  const first = await collect([root]);
  const expected = ['.hidden.jpg', 'Z.jpg', 'a.png', 'b.jpg', 'notes.txt', 'sub/c.jpg', 'sub/deeper/d.jpg', 'sub2/e.heic'].map(
    (f) => path.join(root, f),
  );
  assert.deepEqual(
    first.map((e) => e.path),
    expected,
  );
  assert.ok(first.every((e) => e.error === undefined));
  assert.equal(files.length, expected.length);
  assert.deepEqual(await collect([root]), first, 'a second walk lists the same entries in the same order');
});

test('explicit inputs keep their order, relative paths are resolved, duplicates are listed once', async (t) => {
  const root = tempDir(t);
  const a = write(path.join(root, 'dir', 'a.jpg'));
  const junk = write(path.join(root, '.DS_Store'));
  const single = write(path.join(root, 'single.jpg'));
  const relative = path.relative(process.cwd(), single);
  const entries = await collect([single, path.join(root, 'dir'), relative, a, junk]);
  assert.deepEqual(
    entries.map((e) => e.path),
    [single, a, junk],
    'an explicitly named junk file is still listed: the user asked for it',
  );
});

test('missing inputs, broken and looping links are reported as errors, not thrown', async (t) => {
  const root = tempDir(t);
  write(path.join(root, 'target.jpg'));
  fs.symlinkSync(path.join(root, 'target.jpg'), path.join(root, 'link-to-file.jpg'));
  fs.symlinkSync(path.join(root, 'gone.jpg'), path.join(root, 'broken.jpg'));
  fs.symlinkSync('self-a', path.join(root, 'self-b'));
  fs.symlinkSync('self-b', path.join(root, 'self-a'));
  const missing = path.join(root, 'does-not-exist');

  const entries = await collect([root, missing]);
  const byName = new Map(entries.map((e) => [path.basename(e.path), e]));
  assert.equal(byName.get('link-to-file.jpg')?.error, undefined, 'a link to a file is followed and listed under the link path');
  assert.equal(byName.get('target.jpg')?.error, undefined);
  assert.equal(byName.get('broken.jpg')?.error?.code, 'UNREADABLE');
  assert.match(byName.get('broken.jpg')!.error!.message, /Broken symbolic link.*gone\.jpg/);
  assert.equal(byName.get('self-a')?.error?.code, 'UNREADABLE');
  assert.match(byName.get('self-a')!.error!.message, /loops back/);
  assert.equal(byName.get('does-not-exist')?.error?.code, 'UNREADABLE');
  assert.match(byName.get('does-not-exist')!.error!.message, /does not exist/);
});

test('a folder symlink loop is detected by real path, reported once, and the walk ends', async (t) => {
  const root = tempDir(t);
  write(path.join(root, 'a', 'photo.jpg'));
  fs.symlinkSync('..', path.join(root, 'a', 'up'), 'dir'); // a/up → root, which contains a
  fs.symlinkSync('.', path.join(root, 'a', 'here'), 'dir'); // a/here → a itself

  const entries = await collect([root]);
  const errors = entries.filter((e) => e.error);
  assert.deepEqual(
    errors.map((e) => [path.relative(root, e.path), e.error!.code]),
    [
      ['a/here', 'NOT_A_FILE'],
      ['a/up', 'NOT_A_FILE'],
    ],
  );
  for (const e of errors) assert.match(e.error!.message, /Symbolic link loop/);
  assert.deepEqual(
    entries.filter((e) => !e.error).map((e) => path.relative(root, e.path)),
    ['a/photo.jpg'],
  );

  // Starting inside the loop: the link leads up once, then the loop closes.
  const fromInside = await collect([path.join(root, 'a')]);
  assert.equal(fromInside.filter((e) => e.error).length, 2);
  assert.ok(fromInside.length < 10, 'finite');
});

test('two routes to the same folder: scanned once, the alias is reported', async (t) => {
  const root = tempDir(t);
  const shared = path.join(root, 'shared');
  write(path.join(shared, 'x.jpg'));
  fs.mkdirSync(path.join(root, 'case'));
  fs.symlinkSync(shared, path.join(root, 'case', 'alias'), 'dir');

  const entries = await collect([shared, path.join(root, 'case')]);
  assert.deepEqual(
    entries.map((e) => [path.relative(root, e.path), e.error?.code]),
    [
      ['shared/x.jpg', undefined],
      ['case/alias', 'NOT_A_FILE'],
    ],
  );
  assert.match(entries[1].error!.message, /already scanned/);
});

test('a named pipe is reported as not a file (and never opened)', async (t) => {
  const root = tempDir(t);
  const fifo = path.join(root, 'pipe.jpg');
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) {
    t.skip('mkfifo is not available on this system');
    return;
  }
  const entries = await collect([root]);
  assert.deepEqual(
    entries.map((e) => e.error?.code),
    ['NOT_A_FILE'],
  );
});

test('an abort signal stops the walk between entries', async (t) => {
  const root = tempDir(t);
  for (let i = 0; i < 20; i++) write(path.join(root, `f${String(i).padStart(2, '0')}.jpg`));
  const controller = new AbortController();
  const seen: string[] = [];
  for await (const entry of walkEvidence([root], { signal: controller.signal })) {
    seen.push(entry.path);
    if (seen.length === 3) controller.abort();
  }
  assert.equal(seen.length, 3);
});

test('an unreadable folder is reported with a permissions hint', async (t) => {
  const root = tempDir(t);
  write(path.join(root, 'readable', 'ok.jpg'));
  write(path.join(root, 'locked', 'secret.jpg'));
  fs.chmodSync(path.join(root, 'locked'), 0o000);

  let entries: WalkEntry[];
  try {
    if (permissionsAreIgnored()) {
      openUpForNobody(root);
      const run = runAsNobody(
        'const out = []; for await (const e of ingest.walkEvidence(args)) out.push(e); return out;',
        [root],
      );
      if ('skip' in run) {
        t.skip(run.skip);
        return;
      }
      entries = run.result as WalkEntry[];
    } else {
      entries = await collect([root]);
    }
  } finally {
    fs.chmodSync(path.join(root, 'locked'), 0o755); // so the temp folder can be removed
  }
  assert.deepEqual(
    entries.map((e) => [path.relative(root, e.path), e.error?.code]),
    [
      ['locked', 'UNREADABLE'],
      ['readable/ok.jpg', undefined],
    ],
  );
  assert.match(entries[0].error!.message, /permission denied/i);
});
