import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeNoise, blockNoiseSigma, noiseResidualMap, NOISE_ANALYSIS } from '../../src/main/analysis/noise';
import { median } from '../../src/main/analysis/maps';
import { lumaPlane } from '../../src/shared/pixels';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { addNoise, decode, encodeJpeg, iou, naturalImage, NO_SHARED, paste, sharedFile, type Rect } from '../fixtures/forgeries';

/** Host saved as JPEG, a region of a noisier picture pasted in, the composite saved again. */
async function splice(host: DecodedImage, donor: DecodedImage, from: Rect, to: { x: number; y: number }, sigma: number): Promise<DecodedImage> {
  const noisy = { ...donor, data: Buffer.from(donor.data) };
  addNoise(noisy, from, sigma, 3);
  const composite = { ...host, data: Buffer.from(host.data) };
  paste(composite, noisy, from, to);
  return decode(await encodeJpeg(composite, 92));
}

describe('noise residual', () => {
  it('estimates the σ of white noise on a plain area', () => {
    const img = naturalImage(256, 256, 1);
    img.data.fill(120);
    addNoise(img, { x: 0, y: 0, width: 256, height: 256 }, 4, 9);
    const grid = blockNoiseSigma(lumaPlane(img), 256, 256, 32);
    const m = median(grid.values);
    // Per-channel σ 4 gives a luma σ of 4·√(0.299² + 0.587² + 0.114²) ≈ 2.68.
    assert.ok(Math.abs(m - 2.68) < 0.35, `median σ ${m.toFixed(2)}`);
  });

  it('finds the region pasted from a noisier picture as the top-variance region (synthetic scene)', async () => {
    const host = await decode(await encodeJpeg(naturalImage(640, 480, 11), 90));
    const donor = naturalImage(640, 480, 12);
    const at = { x: 400, y: 260 };
    const forged = await splice(host, donor, { x: 200, y: 10, width: 128, height: 96 }, at, 6);
    const r = analyzeNoise(forged);
    assert.equal(r.summary.flagged, true, r.summary.reason);
    assert.equal(r.summary.region?.direction, 'noisier');
    assert.ok(iou(r.summary.region!, { ...at, width: 128, height: 96 }) > 0.5, JSON.stringify(r.summary.region));
    assert.ok(r.summary.inconsistency > 2.5);

    const untouched = analyzeNoise(await decode(await encodeJpeg(host, 92)));
    assert.equal(untouched.summary.flagged, false, untouched.summary.reason);
  });

  const hostFile = sharedFile('photos/sun_hays80/canal_urban_sun_bioizsmryxlratmt.jpg');
  const donorFile = sharedFile('photos/sun_hays80/cloister_indoor_sun_bqgzlqozpkodfxnm.jpg');
  it('finds it in a real photograph (Sun–Hays canal scene, donor from another photo)', { skip: !hostFile || !donorFile ? NO_SHARED : false }, async () => {
    const host = await decode(hostFile!);
    const donor = await decode(donorFile!);
    const at = { x: Math.floor(host.width / 2), y: Math.floor(host.height / 2) };
    const forged = await splice(host, donor, { x: Math.floor(donor.width / 2) - 64, y: 8, width: 128, height: 96 }, at, 5);
    const r = analyzeNoise(forged);
    assert.equal(r.summary.flagged, true, r.summary.reason);
    assert.ok(iou(r.summary.region!, { ...at, width: 128, height: 96 }) > 0.3, JSON.stringify(r.summary.region));
    const original = analyzeNoise(host);
    assert.ok(!original.summary.region || iou(original.summary.region, { ...at, width: 128, height: 96 }) < 0.1, 'the unedited photo has no outlier there');
  });

  it('shows the pasted noise in the residual map', async () => {
    const img = naturalImage(320, 240, 4);
    addNoise(img, { x: 100, y: 80, width: 64, height: 64 }, 8, 2);
    const map = noiseResidualMap(img, 8);
    let inside = 0, outside = 0, ni = 0, no = 0;
    for (let y = 0; y < 240; y++) for (let x = 0; x < 320; x++) {
      const v = map.data[y * 320 + x]!;
      if (x >= 100 && x < 164 && y >= 80 && y < 144) { inside += v; ni++; } else { outside += v; no++; }
    }
    assert.ok(inside / ni > 2 * (outside / no), `inside ${(inside / ni).toFixed(1)} vs outside ${(outside / no).toFixed(1)}`);
  });

  it('describes itself and refuses bad parameters', () => {
    assert.equal(NOISE_ANALYSIS.version, 'noise/1');
    assert.throws(() => analyzeNoise(naturalImage(64, 64, 1), { blockSize: 12, residualGain: 8, ratioThreshold: 2.5, zThreshold: 5 }), RangeError);
  });
});
