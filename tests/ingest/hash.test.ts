import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256Buffer, sha256File } from '../../src/main/ingest/hash';

const expected = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

test('sha256File streams a multi-chunk file to the same digest as crypto over the whole buffer', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-hash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Not a multiple of the 64 KiB stream chunk, so the last partial chunk counts too.
  const bytes = crypto.randomBytes(3 * 1024 * 1024 + 12345);
  const file = path.join(dir, 'random.bin');
  fs.writeFileSync(file, bytes);
  assert.equal(await sha256File(file), expected(bytes));
  assert.equal(sha256Buffer(bytes), expected(bytes));
});

test('known vectors: empty input and "abc"', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-hash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const empty = path.join(dir, 'empty');
  fs.writeFileSync(empty, '');
  const emptyDigest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  assert.equal(await sha256File(empty), emptyDigest);
  assert.equal(sha256Buffer(Buffer.alloc(0)), emptyDigest);
  assert.equal(sha256Buffer(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('sha256File rejects with the filesystem error for a missing file', async () => {
  await assert.rejects(sha256File(path.join(os.tmpdir(), 'pl-hash-does-not-exist', 'x')), { code: 'ENOENT' });
});
