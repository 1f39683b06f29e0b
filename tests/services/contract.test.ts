// What the renderer may ask for (issue 11, finding 4): paths are absolute, without control
// characters or "..", the renderer never names an executable, an output path or a training
// folder, and a report never lands on the case database or an evidence file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { absolutePathProblem } from '../../src/contract/paths';
import { createAppServices, type AppServices } from '../../src/main/services';
import { makeJpeg } from '../fixtures/images';
import { testConfigStore } from '../config';
import { caller } from './call';

describe('the contract refuses what the renderer must not choose', () => {
  let root: string;
  let services: AppServices;
  let saveAs: string | null = null;
  const call = caller(() => services);
  const code = async (channel: string, payload: unknown) => {
    const r = await services.dispatch(channel, payload);
    return r.ok ? 'ok' : r.error.code;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'pl-contract-'));
    services = createAppServices({ config: testConfigStore({ stateDir: join(root, 'state'), modelsDir: join(root, 'no-models') }), shell: 'test-server', pickFolder: async () => null, pickSaveFile: async () => saveAs });
  });
  after(async () => {
    await services.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('absolute paths only: relative, NUL, newline, other control characters and ".." are refused', async () => {
    for (const bad of ['case', './case', '~/case', '', '/tmp/a\0b', '/tmp/a\nb', '/tmp/a\rb', '/tmp/a\tb', '/tmp/../etc', '/tmp/x/..', '/..']) {
      assert.notEqual(absolutePathProblem(bad, 'linux'), null, JSON.stringify(bad));
      assert.equal(await code('cases.open', { dir: bad }), 'INVALID_REQUEST', JSON.stringify(bad));
      assert.equal(await code('evidence.import', { paths: ['/tmp/ok.jpg', bad] }), 'INVALID_REQUEST', JSON.stringify(bad));
    }
    for (const good of ['/tmp/case', '/home/e/My Cases/2026 (new)/x..y', '/a/.b/c']) assert.equal(absolutePathProblem(good, 'linux'), null, good);
    // The same rules for Windows paths, where the main process runs on Windows.
    assert.equal(absolutePathProblem('C:\\Cases\\one', 'win32'), null);
    assert.equal(absolutePathProblem('\\\\server\\share\\case', 'win32'), null);
    for (const bad of ['Cases\\one', 'C:Cases', 'C:\\Cases\\..\\Windows', '/tmp/case', '\\\\?\\C:\\x']) assert.notEqual(absolutePathProblem(bad, 'win32'), null, bad);
    // Paths inside a training job too.
    const job = { version: 1, modelId: 'm', data: { folder: 'relative/data' }, model: { arch: 'small_cnn' } };
    assert.equal(await code('training.start', { job }), 'INVALID_REQUEST');
  });

  test('no interpreter, training folder or output path from the renderer', async () => {
    assert.equal(await code('training.environment', { python: '/bin/sh' }), 'INVALID_REQUEST');
    const job = { version: 1, modelId: 'm', data: { folder: '/tmp/data' }, model: { arch: 'small_cnn' } };
    assert.equal(await code('training.start', { job, workdir: '/tmp/anywhere' }), 'INVALID_REQUEST');
    assert.equal(await code('training.start', { job, resume: true }), 'INVALID_REQUEST');
    for (const run of ['../escape', 'a/b', '/abs', '..']) assert.equal(await code('training.start', { job, resumeRun: run }), 'INVALID_REQUEST', run);
    assert.equal(await code('report.export', { out: join(root, 'r.pdf'), items: 'all' }), 'INVALID_REQUEST');
    assert.equal(await code('report.export', { target: 'f'.repeat(32) }), 'INVALID_REQUEST', 'a handle the dialog never gave');
  });

  test('the save dialog gives a single-use handle; a report never overwrites the database or evidence', async () => {
    const caseDir = join(root, 'case');
    await call('cases.create', { dir: caseDir, name: 'Handles' });
    const evidence = join(root, 'evidence');
    mkdirSync(evidence);
    await makeJpeg(join(evidence, 'a.jpg'), { width: 64, height: 48, seed: 1 });
    const imported = await call('evidence.import', { paths: [evidence] });
    assert.equal((await services.context.jobs.wait(imported.jobId))?.status, 'completed');

    saveAs = null;
    assert.deepEqual(await call('dialog.saveFile', { purpose: 'report' }), { handle: null, path: null }, 'cancelled');
    saveAs = 'relative.pdf';
    assert.equal(await code('dialog.saveFile', { purpose: 'report' }), 'FAILED', 'a relative answer is not used');

    for (const target of [join(caseDir, 'case.sqlite'), join(caseDir, 'case.sqlite-wal'), join(evidence, 'a.jpg')]) {
      saveAs = target;
      const { handle, path } = await call('dialog.saveFile', { purpose: 'report' });
      assert.equal(path, target);
      const refused = await services.dispatch('report.export', { target: handle!, items: 'all' });
      assert.equal(refused.ok, false, target);
      assert.match(!refused.ok ? refused.error.message : '', /would overwrite (the case database|evidence item #1)/);
      const again = await services.dispatch('report.export', { target: handle!, items: 'all' });
      assert.match(!again.ok ? again.error.message : '', /Choose where the file goes with the save dialog first/, 'a handle is used once');
    }
  });
});
