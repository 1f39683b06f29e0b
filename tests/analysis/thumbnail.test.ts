import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { jpegSegments } from '../../src/main/analysis/jpegSegments';
import { analyzeThumbnail, orientRect } from '../../src/main/analysis/thumbnail';
import { makeJpegBuffer } from '../fixtures/images';
import { cameraOriginals, decode, encodeJpeg, iou, naturalImage, NO_SHARED } from '../fixtures/forgeries';

/** Re-encodes new pixels but keeps the original EXIF block (and its old thumbnail), as many editors do. */
async function resaveKeepingExif(original: Buffer, pixels: Buffer | Sharp): Promise<Buffer> {
  const jpeg = Buffer.isBuffer(pixels) ? pixels : await pixels.jpeg({ quality: 90 }).toBuffer();
  const app1 = jpegSegments(original).find((s) => s.marker === 0xe1)!;
  const segment = original.subarray(app1.offset, app1.offset + 4 + app1.payload.length);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

const camera = () => makeJpegBuffer({ width: 640, height: 480, seed: 3, quality: 90, embedThumbnail: true, exif: { make: 'Canon', model: 'PowerShot' } });

describe('EXIF thumbnail', () => {
  it('matches the picture of an untouched file', async () => {
    const r = await analyzeThumbnail(await camera());
    assert.equal(r.summary.present, true);
    assert.deepEqual(r.summary.thumbnailSize, { width: 80, height: 60 });
    assert.equal(r.summary.flagged, false, r.summary.reason);
    assert.ok(r.summary.correlation! > 0.98);
  });

  it('flags a picture edited after the thumbnail was written, where it was edited', async () => {
    const original = await camera();
    const pixels = await decode(original);
    const edit = { x: 400, y: 300, width: 160, height: 120 };
    for (let y = edit.y; y < edit.y + edit.height; y++) {
      for (let x = edit.x; x < edit.x + edit.width; x++) pixels.data.set([240, 40, 30], (y * 640 + x) * 3);
    }
    const edited = await resaveKeepingExif(original, await encodeJpeg(pixels, 90));
    const r = await analyzeThumbnail(edited);
    assert.equal(r.summary.flagged, true);
    assert.match(r.summary.reason, /changed after the thumbnail was written/);
    assert.ok(iou(r.summary.region!, edit) > 0.5, JSON.stringify(r.summary.region));
    assert.ok(r.maps!.difference.data.some((v) => v > 100), 'the difference map shows it');
  });

  it('flags a thumbnail of another picture', async () => {
    const original = await camera();
    const other = await resaveKeepingExif(original, await encodeJpeg(naturalImage(640, 480, 99), 90));
    const r = await analyzeThumbnail(other);
    assert.equal(r.summary.flagged, true);
    assert.ok(r.summary.correlation! < 0.85, `correlation ${r.summary.correlation}`);
  });

  it('recognises a lossless rotation by software and does not call it an edit', async () => {
    const original = await camera();
    const rotated = await resaveKeepingExif(original, sharp(original).rotate(90));
    const r = await analyzeThumbnail(rotated);
    assert.equal(r.summary.flagged, false, r.summary.reason);
    assert.match(r.summary.reason, /turned by (90|270)°/);
  });

  it('maps a stored-image rectangle through every EXIF orientation', () => {
    const r = { x: 10, y: 20, width: 30, height: 40 };
    assert.deepEqual(orientRect(r, 100, 200, 1), r);
    assert.deepEqual(orientRect(r, 100, 200, 3), { x: 60, y: 140, width: 30, height: 40 });
    assert.deepEqual(orientRect(r, 100, 200, 6), { x: 140, y: 10, width: 40, height: 30 });
    assert.deepEqual(orientRect(r, 100, 200, 8), { x: 20, y: 60, width: 40, height: 30 });
  });

  it('does not apply without EXIF', async () => {
    const r = await analyzeThumbnail(await encodeJpeg(naturalImage(64, 48, 2), 90));
    assert.equal(r.summary.status, 'not-applicable');
  });

  const originals = cameraOriginals();
  it('does not flag camera originals (files at least 320 px wide; smaller ones are reduced stubs)', { skip: originals.length === 0 ? NO_SHARED : false }, async () => {
    const flagged: string[] = [];
    let compared = 0;
    for (const c of originals) {
      const bytes = fs.readFileSync(c.path);
      if ((await sharp(bytes).metadata()).width < 320) continue;
      const r = await analyzeThumbnail(bytes);
      if (r.summary.present && r.summary.correlation !== null) compared++;
      if (r.summary.flagged) flagged.push(`${c.file}: ${r.summary.reason}`);
    }
    assert.ok(compared >= 20, `${compared} thumbnails compared`);
    assert.deepEqual(flagged, []);
  });
});
