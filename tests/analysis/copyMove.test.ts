import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeCopyMove, copyMoveMask, type CopyMoveDetail } from '../../src/main/analysis/copyMove';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { seededRandom } from '../../src/main/random';
import { clone, decode, encodeJpeg, fractalImage, mostTextured, NO_SHARED, overlaps, paste, pasteRotated, sharedFile, type Rect } from '../fixtures/forgeries';

/** A shared photo (Sun–Hays scenes, 1024 px wide), or null. */
async function photo(name: string): Promise<DecodedImage | null> {
  const file = sharedFile(`photos/sun_hays80/${name}`);
  return file ? decode(file) : null;
}

/** The cluster linking `a` and `b` (in either direction), if any. */
function linking(r: CopyMoveDetail, a: Rect, b: Rect) {
  return r.clusters.find((c) => (overlaps(c.source, a) && overlaps(c.target, b)) || (overlaps(c.source, b) && overlaps(c.target, a)));
}

async function cloneShifted(image: DecodedImage, size: number): Promise<{ forged: DecodedImage; from: Rect; to: Rect }> {
  const src = mostTextured(image, size, { x: 16, y: 16, width: Math.floor(image.width / 2) - 32, height: image.height - 32 });
  const from = { ...src, width: size, height: size };
  const to = { x: image.width - size - 40, y: image.height - size - 30, width: size, height: size };
  const forged = clone(image);
  paste(forged, image, from, to);
  return { forged: await decode(await encodeJpeg(forged, 90)), from, to };
}

async function cloneRotated(image: DecodedImage, radius: number): Promise<{ forged: DecodedImage; from: Rect; to: Rect; centre: { x: number; y: number } }> {
  const src = mostTextured(image, 2 * radius, { x: 16, y: 16, width: Math.floor(image.width / 2) - 32, height: image.height - 32 });
  const centre = { x: src.x + radius, y: src.y + radius };
  const target = { x: image.width - radius - 60, y: image.height - radius - 50 };
  const forged = clone(image);
  pasteRotated(forged, centre, radius, 15, 1.1, target);
  const r = radius * 1.1;
  return {
    forged: await decode(await encodeJpeg(forged, 90)),
    from: { x: src.x, y: src.y, width: 2 * radius, height: 2 * radius },
    to: { x: Math.round(target.x - r), y: Math.round(target.y - r), width: Math.round(2 * r), height: Math.round(2 * r) },
    centre: target,
  };
}

/**
 * Repeated texture, as bricks or tiles are: one pattern laid 10 × 7 times, each copy with its own
 * small variations (blob positions ±2 px, sizes ±15%, colours ±12 levels) and noise, then JPEG.
 */
async function repeatedTexture(): Promise<DecodedImage> {
  const tile = 64;
  const w = 640, h = 448;
  const rand = seededRandom(17);
  const blobs = Array.from({ length: 12 }, () => ({ x: rand() * tile, y: rand() * tile, r: 4 + rand() * 8, c: [rand() * 255, rand() * 255, rand() * 255] }));
  const data = Buffer.alloc(w * h * 3);
  for (let ty = 0; ty < h / tile; ty++) {
    for (let tx = 0; tx < w / tile; tx++) {
      const copy = blobs.map((b) => ({
        x: b.x + (rand() - 0.5) * 4,
        y: b.y + (rand() - 0.5) * 4,
        r: b.r * (0.85 + rand() * 0.3),
        c: b.c.map((v) => v + (rand() - 0.5) * 24),
      }));
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          let colour = [120, 110, 100];
          for (const b of copy) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r * b.r) colour = b.c;
          const i = ((ty * tile + y) * w + tx * tile + x) * 3;
          for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, Math.round(colour[k]! + (rand() + rand() - 1) * 6)));
        }
      }
    }
  }
  return decode(await encodeJpeg({ data, width: w, height: h, channels: 3 }, 90));
}

describe('copy-move', () => {
  it('finds a region cloned within a picture, with its shift (synthetic scene)', async () => {
    const { forged, from, to } = await cloneShifted(fractalImage(640, 480, 31), 96);
    const r = analyzeCopyMove(forged);
    assert.equal(r.summary.flagged, true, r.summary.reason);
    const c = linking(r, from, to);
    assert.ok(c, `a cluster links the two areas: ${JSON.stringify(r.summary.clusters)}`);
    assert.ok(c.matches >= 6);
    assert.ok(Math.abs(Math.abs(c.shift.x) - (to.x - from.x)) <= 8 && Math.abs(Math.abs(c.shift.y) - (to.y - from.y)) <= 8, JSON.stringify(c.shift));
    assert.ok(Math.abs(c.rotation) < 2 && Math.abs(c.scale - 1) < 0.03);
    const mask = copyMoveMask(forged, r);
    const at = (x: number, y: number) => mask.data[y * mask.width + x]!;
    assert.ok(at(to.x + 48, to.y + 48) > 200 && at(from.x + 48, from.y + 48) > 200, 'the dense mask lights both copies');
    assert.equal(at(20, forged.height - 20), 0);
  });

  it('finds a clone rotated by 15° and scaled by 1.1, and recovers the transform (synthetic scene)', async () => {
    const { forged, from, to } = await cloneRotated(fractalImage(640, 480, 32), 56);
    const r = analyzeCopyMove(forged);
    const c = linking(r, from, to);
    assert.ok(c, `a cluster links the two areas: ${r.summary.reason}`);
    // Source → target is a +15° rotation with ×1.1, or the inverse when the pair is read backwards.
    const forward = Math.abs(c.rotation - 15) < 2 && Math.abs(c.scale - 1.1) < 0.03;
    const backward = Math.abs(c.rotation + 15) < 2 && Math.abs(c.scale - 1 / 1.1) < 0.03;
    assert.ok(forward || backward, `rotation ${c.rotation.toFixed(1)}°, scale ${c.scale.toFixed(3)}`);
  });

  it('gives no match on an untouched repeated texture (every patch has many look-alikes)', async () => {
    const r = analyzeCopyMove(await repeatedTexture());
    assert.equal(r.summary.flagged, false, r.summary.reason);
    assert.equal(r.summary.matchCount, 0);
    assert.ok(r.summary.keypoints > 300, `the texture has keypoints (${r.summary.keypoints}), so the g2NN test is what drops them`);
  });

  // One real photograph each way keeps the suite affordable on a loaded 2-core machine;
  // bench/analyses.ts and the report give the rates over the whole Sun–Hays set.
  const names = ['abbey_sun_asztnlqhlrvirneh.jpg'];
  it('finds shifted and rotated clones in real photographs', { skip: names.some((n) => !sharedFile(`photos/sun_hays80/${n}`)) ? NO_SHARED : false }, async () => {
    for (const name of names) {
      const image = (await photo(name))!;
      const shifted = await cloneShifted(image, 128);
      const r1 = analyzeCopyMove(shifted.forged);
      assert.ok(linking(r1, shifted.from, shifted.to), `${name} shifted clone: ${r1.summary.reason}`);
      const rotated = await cloneRotated(image, 56);
      const r2 = analyzeCopyMove(rotated.forged);
      const c = linking(r2, rotated.from, rotated.to);
      assert.ok(c, `${name} rotated clone: ${r2.summary.reason}`);
      assert.ok(Math.abs(Math.abs(c.rotation) - 15) < 3, `${name}: rotation ${c.rotation}`);
    }
  });

  const repeated = ['building_facade_sun_bpaohzcfkhzodryb.jpg'];
  it('gives no match on untouched photographs with repeated texture (windows, arcades)', { skip: repeated.some((n) => !sharedFile(`photos/sun_hays80/${n}`)) ? NO_SHARED : false }, async () => {
    for (const name of repeated) {
      const r = analyzeCopyMove((await photo(name))!);
      assert.equal(r.summary.flagged, false, `${name}: ${r.summary.reason}`);
    }
  });
});
