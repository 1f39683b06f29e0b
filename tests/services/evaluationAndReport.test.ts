import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createAppServices, type AppServices, type MediaResponse } from '../../src/main/services';
import { testConfigStore } from '../config';
import { makeCnnDetectionSet } from '../evaluation/datasets';
import { makeJpeg } from '../fixtures/images';
import { ensureReportPageBuilt, reportSkipReason } from '../reports/helpers';
import { caller, finishedJob } from './call';

describe('AppServices: evaluation and report channels', () => {
  let services: AppServices;
  let root: string;
  /** What the stand-in save dialog answers. */
  let saveAs: string | null = null;

  const call = caller(() => services);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'services-eval-'));
    services = createAppServices({ config: testConfigStore({ stateDir: join(root, 'state') }), shell: 'test-server', pickFolder: async () => null, pickSaveFile: async () => saveAs });
    await call('cases.create', { dir: join(root, 'case'), name: 'Evaluation case', examiner: 'E. Xam' });
  });
  after(() => services.close());

  test('detect a dataset, evaluate it as a job into the case, flag a mistake, serve its thumbnail', async () => {
    const dataset = join(root, 'dataset');
    await makeCnnDetectionSet(dataset, { generators: ['progan', 'stylegan'], perClass: 5 });
    const summary = await call('datasets.detect', { path: dataset });
    assert.equal(summary.layout, 'cnndetection');
    assert.equal(summary.total, 20);

    const { jobId } = await call('evaluation.start', { path: dataset, models: ['fixture-texture-cnn'], bootstrap: 50, threshold: 0.35 });
    const job = await finishedJob(services, jobId, 'evaluate');
    assert.equal(job.status, 'completed', job.error);
    const { evaluationId } = job.result!;

    const listed = await call('evaluation.list', {});
    assert.deepEqual(listed.map((e) => e.id), [evaluationId]);
    const result = await call('evaluation.get', { id: evaluationId });
    assert.equal(result.items.length, 20);
    assert.deepEqual(result.perModel[0].table?.rows.map((r) => r.source).sort(), ['progan', 'stylegan']);

    const flag = await call('evaluation.flag', { evaluationId, item: 0, flagged: true, note: 'check label' });
    assert.equal(flag.path, result.items[0].path);
    assert.equal((await call('evaluation.flags', {})).length, 1);

    const thumb: MediaResponse = await services.media({ kind: 'evaluation-thumb', evaluationId, item: 0 });
    assert.ok(thumb.ok && thumb.contentType === 'image/jpeg', thumb.ok ? thumb.contentType : thumb.message);
    assert.ok(((await sharp(thumb.body).metadata()).width ?? 0) > 0);
    const none = await services.media({ kind: 'evaluation-thumb', evaluationId, item: 999 });
    assert.equal(none.ok ? 200 : none.status, 404);

    const bad = await services.dispatch('evaluation.start', { path: join(root, 'nowhere') });
    assert.equal(bad.ok, false);
  });

  test('export the case report as a job', { skip: reportSkipReason() }, async () => {
    await ensureReportPageBuilt();
    const evidence = join(root, 'evidence');
    mkdirSync(evidence);
    await makeJpeg(join(evidence, 'a.jpg'), { width: 120, height: 90, seed: 3 });
    const imp = await call('evidence.import', { paths: [evidence] });
    assert.equal((await services.context.jobs.wait(imp.jobId))?.status, 'completed');
    const out = join(root, 'report.pdf');
    saveAs = out;
    const { handle, path } = await call('dialog.saveFile', { purpose: 'report' });
    assert.equal(path, out);
    const { jobId } = await call('report.export', { target: handle!, items: 'all' });
    const job = await services.context.jobs.wait(jobId);
    assert.equal(job?.status, 'completed', job?.error);
    assert.ok(existsSync(out));
    assert.match(readFileSync(`${out}.sha256`, 'utf8'), /^[0-9a-f]{64} {2}report\.pdf\n?$/);
    assert.ok((await call('audit.list', {})).entries.some((e) => e.action === 'report.export'));
  });
});
