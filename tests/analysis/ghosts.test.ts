import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { analyzeGhosts, findDip, ghostMapAt } from '../../src/main/analysis/ghosts';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { decode, encodeJpeg, iou, naturalImage, NO_SHARED, paste, sharedFile } from '../fixtures/forgeries';

const PATCH = { x: 256, y: 128, width: 128, height: 128 };

/** A patch taken from the q=60 version of the picture, pasted back, the whole saved at q=90. */
async function ghostForgery(original: DecodedImage): Promise<Buffer> {
  const low = await decode(await encodeJpeg(original, 60));
  const composite = { ...original, data: Buffer.from(original.data) };
  paste(composite, low, PATCH, PATCH);
  return encodeJpeg(composite, 90);
}

describe('JPEG ghosts', () => {
  it('shows a q=60 patch in a q=90 picture as a ghost at about 60, where the patch is (synthetic scene)', async () => {
    const original = naturalImage(512, 384, 9);
    const forged = await decode(await ghostForgery(original));
    const r = analyzeGhosts(forged, { lastQuality: 90 });
    assert.equal(r.summary.flagged, true, r.summary.reason);
    assert.ok(Math.abs(r.summary.ghostQuality! - 60) <= 5, `ghost at ${r.summary.ghostQuality}`);
    assert.ok(iou(r.summary.region!, PATCH) > 0.15 && r.summary.region!.x >= PATCH.x - 16, JSON.stringify(r.summary.region));
    // The region's curve dips at the ghost (most of its difference vanishes there).
    assert.ok(r.summary.depth > 0.45, `dip depth ${r.summary.depth.toFixed(2)}`);
    const at = (curve: number[], q: number) => curve[r.qualities.indexOf(q)]!;
    assert.ok(at(r.regionCurve!, r.summary.ghostQuality!) < at(r.regionCurve!, r.summary.ghostQuality! + 6));
    const map = ghostMapAt(r, r.summary.ghostQuality!);
    const cell = (x: number, y: number) => map.values[Math.floor(y / map.cell) * map.cols + Math.floor(x / map.cell)]!;
    assert.ok(cell(PATCH.x + 64, PATCH.y + 64) < 0.2, 'the patch is dark in the ghost map at its quality');

    const single = analyzeGhosts(await decode(await encodeJpeg(original, 90)), { lastQuality: 90 });
    assert.equal(single.summary.flagged, false, single.summary.reason);
    assert.equal(single.summary.ghostQuality, null);
  });

  const scan = sharedFile('photos/mcmaster18/1.tif');
  it('finds the same ghost in a real photograph (McMaster film scan)', { skip: scan ? false : NO_SHARED }, async () => {
    const forged = await decode(await ghostForgery(await decode(scan!)));
    const r = analyzeGhosts(forged, { lastQuality: 90 });
    assert.equal(r.summary.flagged, true, r.summary.reason);
    assert.ok(Math.abs(r.summary.ghostQuality! - 60) <= 5, `ghost at ${r.summary.ghostQuality}`);
    assert.ok(iou(r.summary.region!, PATCH) > 0.4, JSON.stringify(r.summary.region));
  });

  it('needs the re-save on the JPEG grid: a cropped forgery shows its ghost only with the grid offset', async () => {
    const forged = await ghostForgery(naturalImage(512, 384, 9));
    const cropped = await decode(await sharp(forged).extract({ left: 3, top: 5, width: 500, height: 370 }).png().toBuffer());
    const aligned = analyzeGhosts(cropped, { lastQuality: 90, gridOffset: { x: 3, y: 5 } });
    assert.equal(aligned.summary.flagged, true, aligned.summary.reason);
    assert.ok(Math.abs(aligned.summary.ghostQuality! - 60) <= 5);
    const misaligned = analyzeGhosts(cropped, { lastQuality: 90 });
    assert.equal(misaligned.summary.flagged, false);
  });

  it('finds a dip only where the curve rises again above it', () => {
    const qualities = [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60];
    assert.equal(findDip([9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0], qualities, 100), null);
    const dip = findDip([9, 8, 2, 6, 6, 5, 4, 3, 2, 1, 0], qualities, 100);
    assert.equal(dip?.quality, 52);
    assert.ok(Math.abs(dip!.depth - (1 - 2 / 6)) < 1e-9);
  });
});
