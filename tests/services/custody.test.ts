// The case as the unit of custody, through the engine the app and the CLI share: every submitted
// file becomes an item (refused ones with their reason, size and SHA-256 where readable), images
// can be copied into the case with the copy's hash checked, moved evidence is relinked by hash
// and verify tells MISSING from RELINKED, and a path that does not exist is refused before any
// run or audit entry exists. Real files throughout; no model runs (an empty registry).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importIntoCase, ImportError, type ImportOptions } from '../../src/main/pipeline/importIntoCase';
import { testCatalogue, testConfig } from '../config';
import { openCaseDatabase, relinkCase, verifyCase, type CaseStore } from '../../src/main/store';
import { makeBadFiles, makeJpeg, type BadFile, type BadFileName } from '../fixtures/images';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('custody: refused files, copies, relink, verify', () => {
  let root: string;
  let noModels: string;
  let bad: Record<BadFileName, BadFile>;
  let evidenceDir: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-custody-'));
    noModels = path.join(root, 'no-models');
    fs.mkdirSync(noModels);
    evidenceDir = path.join(root, 'submitted');
    bad = await makeBadFiles(path.join(evidenceDir, 'problems'));
    for (let i = 0; i < 3; i++) await makeJpeg(path.join(evidenceDir, `photo-${i}.jpg`), { width: 120, height: 90, seed: 40 + i });
  });

  after(() => {
    // unreadable.jpg has mode 000: give it back so the folder can be removed.
    fs.chmodSync(bad['unreadable.jpg'].path, 0o644);
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** What every import here runs with: no model (an empty registry), the default limits, no worker threads. */
  function options(paths: string[], extra: Partial<ImportOptions> = {}): ImportOptions {
    const config = testConfig({ modelsDir: noModels });
    return { paths, catalogue: testCatalogue({ modelsDir: noModels }), ingest: { maxPixels: config.maxPixels, maxFileBytes: config.maxFileBytes }, workers: 0, ...extra };
  }

  function newCase(name: string): CaseStore {
    const store = openCaseDatabase(path.join(root, name), { actor: 'tester' });
    store.createCase({ name, number: '', examiner: 'T. Ester', organisation: '', description: '' });
    return store;
  }

  test('every bad file is an item of the case: path, reason, size and SHA-256 where they can be read', async () => {
    const store = newCase('refused');
    try {
      const summary = await importIntoCase(store, options([evidenceDir]));
      const items = store.listEvidence({ sort: 'time' });
      assert.equal(summary.total, items.length, 'the import and the case count the same files');
      const refusals = Object.entries(bad).filter(([, b]) => b.expect.stage === 'walk' || b.expect.stage === 'ingest').filter(([, b]) => !b.skip);
      for (const [name, file] of refusals) {
        const item = items.find((i) => i.importedPath === file.path);
        assert.ok(item, `${name} is an item of the case`);
        assert.equal(item.refused, true, `${name} is refused`);
        assert.equal(item.latestResult?.status, 'error');
        assert.equal(item.latestResult?.error?.code, (file.expect as { code: string }).code, `${name}'s reason`);
        assert.match(item.latestResult!.error!.message, (file.expect as { message: RegExp }).message);
      }
      const byName = (n: BadFileName) => items.find((i) => i.importedPath === bad[n].path)!;
      // Hashes and sizes of what could be read, computed from the real files.
      assert.equal(byName('empty.jpg').sha256, createHash('sha256').digest('hex'), 'an empty file hashes as zero bytes');
      assert.equal(byName('empty.jpg').sizeBytes, 0);
      assert.equal(byName('text.jpg').sha256, sha256(bad['text.jpg'].path));
      assert.equal(byName('text.jpg').sizeBytes, fs.statSync(bad['text.jpg'].path).size);
      assert.equal(byName('huge-header.png').sha256, sha256(bad['huge-header.png'].path));
      assert.equal(byName('loop').sha256, null, 'a folder that loops has no bytes to hash');
      assert.equal(byName('loop').sizeBytes, null);
      if (!bad['unreadable.jpg'].skip) {
        assert.equal(byName('unreadable.jpg').sha256, null, 'permission denied: no hash');
        assert.equal(byName('unreadable.jpg').sizeBytes, fs.statSync(bad['unreadable.jpg'].path).size, 'but its size is known');
      }
      // The gallery's errors filter counts refusals and decode failures alike.
      const errorItems = store.listEvidence({ hasError: true });
      assert.equal(store.countEvidence({ hasError: true }), summary.failed);
      assert.ok(errorItems.some((i) => i.fileName === 'truncated.jpg' && !i.refused), 'a decode failure is an image item with its error');

      // Importing the same folder again adds nothing: refused items are idempotent too.
      await importIntoCase(store, options([evidenceDir]));
      assert.equal(store.countEvidence(), items.length);
      const report = await verifyCase(store);
      assert.equal(report.chainIntact, true);
      assert.deepEqual(report.recordProblems, []);
      assert.equal(report.evidence.find((e) => e.id === byName('loop').id)?.status, 'not-hashed');
    } finally {
      store.close();
    }
  });

  test('a path that does not exist is refused before any run or audit entry', async () => {
    const store = newCase('typo');
    try {
      const before = store.auditLog().length;
      await assert.rejects(
        importIntoCase(store, options([path.join(root, 'no-such-folder')])),
        (err: unknown) => err instanceof ImportError && /does not exist/.test(err.message),
      );
      assert.equal(store.listRuns().length, 0, 'no run');
      assert.equal(store.auditLog().length, before, 'no audit entry');
    } finally {
      store.close();
    }
  });

  test('copy into the case: the copy is read-only, hashed, and the case travels without its source', async () => {
    const source = path.join(root, 'to-copy');
    fs.mkdirSync(source);
    const files = [await makeJpeg(path.join(source, 'a.jpg'), { width: 64, height: 48, seed: 1 }), await makeJpeg(path.join(source, 'b.jpg'), { width: 64, height: 48, seed: 2 })];
    const caseDir = path.join(root, 'copying');
    const store = newCase('copying');
    try {
      const summary = await importIntoCase(store, options([source], { copyEvidence: true }));
      assert.equal(summary.copied, 2);
      assert.equal(summary.copyFailed, 0);
      for (const item of store.listEvidence({ sort: 'name' })) {
        assert.equal(item.storage, 'copy');
        assert.ok(item.path.startsWith(path.join(caseDir, 'evidence') + path.sep), `${item.path} is inside the case folder`);
        assert.equal(sha256(item.path), item.sha256);
        assert.equal(fs.statSync(item.path).mode & 0o222, 0, 'the copy is read-only');
        assert.ok(files.includes(item.importedPath));
      }
      fs.rmSync(source, { recursive: true });
      const report = await verifyCase(store);
      assert.equal(report.ok, true, 'the copies verify without the source folder');
    } finally {
      store.close();
    }
  });

  test('moved evidence: verify says MISSING, relink finds it by hash, verify then says RELINKED', async () => {
    const source = path.join(root, 'moving');
    fs.mkdirSync(source);
    await makeJpeg(path.join(source, 'one.jpg'), { width: 64, height: 48, seed: 5 });
    await makeJpeg(path.join(source, 'two.jpg'), { width: 64, height: 48, seed: 6 });
    const store = newCase('moved');
    try {
      await importIntoCase(store, options([source]));
      const moved = path.join(root, 'new-disk', 'renamed-folder');
      fs.mkdirSync(path.dirname(moved), { recursive: true });
      fs.renameSync(source, moved);
      // A decoy with the same name but other bytes must not be taken for the evidence.
      fs.renameSync(path.join(moved, 'two.jpg'), path.join(moved, 'two-renamed.jpg'));
      await makeJpeg(path.join(moved, 'one-copy-other-bytes.jpg'), { width: 64, height: 48, seed: 99 });

      const before = await verifyCase(store);
      assert.equal(before.ok, false);
      assert.deepEqual(before.evidence.map((e) => e.status), ['missing', 'missing']);

      const outcome = await relinkCase(store, path.dirname(moved), { actor: 'T. Ester' });
      assert.deepEqual(outcome.relinked.map((r) => [r.fileName, path.basename(r.to)]).sort(), [['one.jpg', 'one.jpg'], ['two.jpg', 'two-renamed.jpg']]);
      assert.deepEqual(outcome.stillMissing, []);

      const after = await verifyCase(store);
      assert.equal(after.ok, true, JSON.stringify(after.recordProblems));
      assert.deepEqual(after.evidence.map((e) => e.status), ['relinked', 'relinked']);
      assert.ok(after.evidence.every((e) => e.importedPath?.startsWith(source)), 'the imported path is kept and reported');
      const entries = store.auditLog({ entity: 'evidence' }).filter((e) => e.action === 'evidence.relink');
      assert.equal(entries.length, 2);
      assert.equal(entries[0].actor, 'T. Ester');

      // A relinked file that goes missing again is MISSING, not RELINKED.
      fs.rmSync(path.join(moved, 'one.jpg'));
      const again = await verifyCase(store);
      const one = store.listEvidence({ text: 'one.jpg' })[0];
      assert.deepEqual(again.evidence.map((e) => [e.id === one.id, e.status]).sort(), [[false, 'relinked'], [true, 'missing']]);
    } finally {
      store.close();
    }
  });
});
