// Imports write the ELA preview only; the full-resolution heatmap is made when the viewer asks
// for it (media kind 'ela'), cached in the case's derived folder, and refused when the evidence
// file changed since it was analysed.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { amplificationLut, DEFAULT_ELA_PARAMETERS, elaDifference, infernoColour } from '../../src/main/analysis';
import { decodeImage } from '../../src/main/ingest';
import { createAppServices, type AppServices, type MediaResponse } from '../../src/main/services';
import { testConfigStore } from '../config';
import { makeJpeg } from '../fixtures/images';
import { caller, finishedJob } from './call';

describe('full-resolution ELA heatmaps on demand', () => {
  let services: AppServices;
  let root: string;
  const call = caller(() => services);
  /** The served PNG (failing the test with the reason when it was not served). */
  const served = (answer: MediaResponse) => {
    assert.ok(answer.ok, answer.ok ? '' : `${answer.status}: ${answer.message}`);
    return answer;
  };
  const quality = DEFAULT_ELA_PARAMETERS.quality;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'services-heatmap-'));
    mkdirSync(join(root, 'in'));
    await makeJpeg(join(root, 'in', 'large.jpg'), { width: 1500, height: 1000, seed: 3, quality: 88 });
    await makeJpeg(join(root, 'in', 'small.jpg'), { width: 300, height: 200, seed: 4, quality: 88 });
    services = createAppServices({ config: testConfigStore({ stateDir: join(root, 'state') }), shell: 'test-server', pickFolder: async () => null });
    await call('cases.create', { dir: join(root, 'case'), name: 'Heatmaps' });
    const { jobId } = await call('evidence.import', { paths: [join(root, 'in')] });
    assert.equal((await finishedJob(services, jobId, 'import')).status, 'completed');
  });
  after(async () => {
    await services.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('the import writes previews only; the first request makes the heatmap, later ones read it', { timeout: 120_000 }, async () => {
    const large = (await call('evidence.list', { text: 'large' })).items[0];
    const small = (await call('evidence.list', { text: 'small' })).items[0];
    const elaDir = join(root, 'case', 'derived', 'ela');
    assert.deepEqual(readdirSync(elaDir).sort(), [`${large.sha256}.ela-preview.png`, `${small.sha256}.ela-preview.png`].sort());
    const largeEla = (await call('evidence.get', { id: large.id })).item.latestResult?.ela;
    const smallEla = (await call('evidence.get', { id: small.id })).item.latestResult?.ela;
    assert.equal(largeEla?.heatmapPath, undefined, 'no full-resolution heatmap recorded for the large image');
    // The small image's preview is full size: it is its heatmap.
    assert.equal(smallEla?.heatmapPath, smallEla?.previewPath);

    const preview = served(await services.media({ kind: 'ela-preview', evidenceId: large.id, quality }));
    assert.equal((await sharp(preview.body).metadata()).width, 1024);
    const full = served(await services.media({ kind: 'ela', evidenceId: large.id, quality }));
    assert.equal(full.contentType, 'image/png');
    const { data, info } = await sharp(full.body).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [1500, 1000]);
    // Pixel for pixel the coloured error of the evidence.
    const image = await decodeImage(readFileSync(large.path), { maxPixels: 1e9 });
    const diff = await elaDifference(image, DEFAULT_ELA_PARAMETERS.quality);
    const amplify = amplificationLut(DEFAULT_ELA_PARAMETERS.scale);
    for (let p = 0; p < 1500 * 1000; p += 4999) {
      const level = Math.max(diff[p * 3]!, diff[p * 3 + 1]!, diff[p * 3 + 2]!);
      assert.deepEqual([data[p * 3], data[p * 3 + 1], data[p * 3 + 2]], infernoColour(amplify[level]!), `pixel ${p}`);
    }
    const cached = join(elaDir, `${large.sha256}.ela.png`);
    assert.ok(existsSync(cached), 'cached in the derived folder');
    const made = statSync(cached).mtimeMs;
    assert.deepEqual(served(await services.media({ kind: 'ela', evidenceId: large.id, quality })).body, full.body);
    assert.equal(statSync(cached).mtimeMs, made, 'served from the cache, not made again');

    // Small image: the preview is served as the full-resolution heatmap, nothing new written.
    const smallFull = served(await services.media({ kind: 'ela', evidenceId: small.id, quality }));
    assert.deepEqual([(await sharp(smallFull.body).metadata()).width], [300]);
    assert.equal(readdirSync(elaDir).length, 3);
  });

  test('a heatmap at a re-run quality is made on demand too, and evidence that changed is refused', { timeout: 120_000 }, async () => {
    const large = (await call('evidence.list', { text: 'large' })).items[0];
    await call('evidence.rerunEla', { id: large.id, quality: 70 });
    const rerunDir = join(root, 'case', 'derived', 'ela-q70');
    assert.deepEqual(readdirSync(rerunDir), [`${large.sha256}.ela-preview.png`]);
    const q70 = served(await services.media({ kind: 'ela', evidenceId: large.id, quality: 70 }));
    assert.equal((await sharp(q70.body).metadata()).width, 1500);
    assert.ok(existsSync(join(rerunDir, `${large.sha256}.ela.png`)));
    // No preview at a quality never run: nothing to zoom into.
    const never = await services.media({ kind: 'ela', evidenceId: large.id, quality: 55 });
    assert.equal(never.ok ? 200 : never.status, 404);

    // The evidence file is replaced behind the case's back: no heatmap of other bytes.
    rmSync(join(root, 'case', 'derived', 'ela', `${large.sha256}.ela.png`));
    chmodSync(large.path, 0o644);
    await makeJpeg(large.path, { width: 1500, height: 1000, seed: 99, quality: 88 });
    const changed = await services.media({ kind: 'ela', evidenceId: large.id, quality });
    assert.equal(changed.ok ? 200 : changed.status, 409);
    assert.match(changed.ok ? '' : changed.message, /changed since it was analysed/);
    assert.ok(!existsSync(join(root, 'case', 'derived', 'ela', `${large.sha256}.ela.png`)));
  });
});
