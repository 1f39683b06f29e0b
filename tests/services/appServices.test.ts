import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createAppServices, type AppServices, type MediaResponse } from '../../src/main/services';
import { testConfigStore } from '../config';
import { makeBadFiles, makeJpeg } from '../fixtures/images';
import { caller } from './call';

describe('AppServices (the IPC contract behind Electron and the test server)', () => {
  let services: AppServices;
  let root: string;
  let imported: string;

  const call = caller(() => services);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'services-'));
    imported = join(root, 'import');
    mkdirSync(imported);
    for (let i = 0; i < 6; i++) await makeJpeg(join(imported, `img-${i}.jpg`), { width: 160, height: 120, seed: i });
    const bad = await makeBadFiles(join(root, 'bad-src'));
    for (const name of ['empty.jpg', 'truncated.jpg', 'text.jpg', 'cmyk.jpg'] as const) {
      const { copyFileSync } = await import('node:fs');
      copyFileSync(bad[name].path, join(imported, name));
    }
    services = createAppServices({ config: testConfigStore({ stateDir: join(root, 'state') }), shell: 'test-server', pickFolder: async () => null });
  });
  after(() => services.close());

  test('requests are validated before anything runs', async () => {
    const unknown = await services.dispatch('fs.delete', {});
    assert.deepEqual(unknown.ok ? null : unknown.error.code, 'UNKNOWN_CHANNEL');
    const invalid = await services.dispatch('review.set', { evidenceId: -1, verdict: 'fake' });
    assert.equal(invalid.ok, false);
    assert.equal(!invalid.ok && invalid.error.code, 'INVALID_REQUEST');
    assert.match(!invalid.ok ? invalid.error.message : '', /evidenceId/);
    const extra = await services.dispatch('cases.open', { dir: '/x', evil: true });
    assert.equal(!extra.ok && extra.error.code, 'INVALID_REQUEST');
    const noCase = await services.dispatch('evidence.list', {});
    assert.equal(!noCase.ok && noCase.error.code, 'NO_CASE_OPEN');
  });

  test('create a case, import with progress and per-file errors, review, audit, verify', async () => {
    const caseDir = join(root, 'case-1');
    const c = await call('cases.create', { dir: caseDir, name: 'Harbour fire', number: 'C-17', examiner: 'R. Okafor' });
    assert.equal(c.name, 'Harbour fire');
    assert.deepEqual((await call('cases.recent', {})).map((r) => r.dir), [caseDir]);

    const events: string[] = [];
    const fileErrors: string[] = [];
    const unsubscribe = services.events.subscribe((event, payload) => {
      events.push(event);
      if (event === 'job.fileError') fileErrors.push((payload as { path: string }).path);
    });
    const { jobId } = await call('evidence.import', { paths: [imported] });
    const job = await services.context.jobs.wait(jobId);
    unsubscribe();
    assert.equal(job?.status, 'completed', job?.error);
    assert.ok(events.includes('job.progress') && events.includes('job.finished'));
    assert.deepEqual(fileErrors.map((p) => p.split('/').pop()).sort(), ['empty.jpg', 'text.jpg', 'truncated.jpg']);
    const listed = (await call('jobs.list', {})).find((j) => j.id === jobId)!;
    assert.deepEqual(listed.fileErrors.map((e) => e.code).sort(), ['EMPTY_FILE', 'NOT_AN_IMAGE', 'TRUNCATED'], 'kept for a reloaded window');
    assert.equal(listed.fileErrorCount, 3);

    // Every submitted file is an item: the refused ones (empty, text) and the truncated JPEG
    // carry their error result, so the errors filter finds all three.
    const all = await call('evidence.list', {});
    assert.equal(all.total, 10);
    const errors = await call('evidence.list', { hasError: true, sort: 'name' });
    assert.deepEqual(errors.items.map((i) => [i.fileName, i.refused, i.error?.code]), [
      ['empty.jpg', true, 'EMPTY_FILE'],
      ['text.jpg', true, 'NOT_AN_IMAGE'],
      ['truncated.jpg', false, 'TRUNCATED'],
    ]);
    const byScore = await call('evidence.list', { sort: 'score', hasError: false });
    const scores = byScore.items.map((i) => i.score!);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));

    const target = byScore.items[0];
    const review = await call('review.set', { evidenceId: target.id, verdict: 'generated', notes: 'GAN grid artefacts' });
    assert.equal(review.verdict, 'generated');
    assert.equal(review.reviewer, 'R. Okafor');
    const detail = await call('evidence.get', { id: target.id });
    assert.equal(detail.item.review?.verdict, 'generated');
    assert.equal(detail.results.length, 1);

    const audit = await call('audit.list', {});
    const actions = audit.entries.map((e) => e.action);
    assert.ok(actions.includes('review.set'));
    assert.equal(actions.filter((a) => a === 'evidence.add').length, 10, 'every submitted file, refused or not, has its evidence.add entry');

    const verify = await call('case.verify', {});
    assert.equal(verify.ok, true, JSON.stringify(verify.chainProblems));
    // The import's end was anchored in the state folder; the review after it is not yet.
    assert.equal(verify.status, 'verified');
    assert.equal(verify.anchored?.source, 'installation');
    assert.equal(verify.unanchoredEntries, 1, 'the review');
  });

  test('closing a case anchors what changed since its last anchor', async () => {
    const dir = (await call('cases.current', {}))!.dir;
    await call('cases.open', { dir }); // switching (here to the same case) closes the open one first
    const verify = await call('case.verify', {});
    assert.equal(verify.status, 'verified');
    assert.equal(verify.unanchoredEntries, 0);
    const close = verify.anchors.find((a) => a.event === 'close');
    assert.equal(close?.status, 'match');
    assert.equal(close?.seq, verify.head?.seq);
  });

  test('media: thumbnails, originals and ELA heatmaps are served; ELA re-runs at another quality', async () => {
    // One of the 160×120 JPEGs (files finish in any order across the prepare workers).
    const { items } = await call('evidence.list', { hasError: false, text: 'img-', limit: 1 });
    const id = items[0].id;
    const served = (answer: MediaResponse) => {
      assert.ok(answer.ok, answer.ok ? '' : `${answer.status}: ${answer.message}`);
      return answer;
    };
    const thumb = served(await services.media({ kind: 'thumb', evidenceId: id }));
    assert.equal(thumb.contentType, 'image/jpeg');
    const meta = await sharp(thumb.body).metadata();
    assert.ok(Math.max(meta.width!, meta.height!) <= 256);
    const original = served(await services.media({ kind: 'original', evidenceId: id }));
    assert.equal((await sharp(original.body).metadata()).width, 160);
    const importQuality = (await call('evidence.get', { id })).item.latestResult!.ela!.parameters.quality;
    assert.equal(served(await services.media({ kind: 'ela', evidenceId: id, quality: importQuality })).contentType, 'image/png');
    const notYet = await services.media({ kind: 'ela-preview', evidenceId: id, quality: 75 });
    assert.equal(notYet.ok ? 200 : notYet.status, 404, 'no heatmap at quality 75 before the re-run');

    const rerun = await call('evidence.rerunEla', { id, quality: 75 });
    assert.equal(rerun.parameters.quality, 75);
    const q75 = served(await services.media({ kind: 'ela-preview', evidenceId: id, quality: 75 }));
    assert.ok(q75.body.length > 0);
    assert.notDeepEqual(q75.body, served(await services.media({ kind: 'ela-preview', evidenceId: id, quality: importQuality })).body);
    const missing = await services.media({ kind: 'thumb', evidenceId: 99_999 });
    assert.equal(missing.ok ? 200 : missing.status, 404);

    // A CMYK JPEG is shown as an sRGB PNG, rendered once and then served from the case folder.
    const cmyk = (await call('evidence.list', { text: 'cmyk' })).items[0];
    const first = served(await services.media({ kind: 'original', evidenceId: cmyk.id }));
    assert.equal(first.contentType, 'image/png');
    assert.equal((await sharp(first.body).metadata()).space, 'srgb');
    const rendered = join(root, 'case-1', 'derived', 'display', `${cmyk.sha256}.png`);
    assert.ok(existsSync(rendered), 'the rendering is kept in derived/display');
    assert.deepEqual(served(await services.media({ kind: 'original', evidenceId: cmyk.id })).body, first.body);
  });
});
