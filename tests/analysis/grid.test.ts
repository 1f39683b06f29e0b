import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { analyzeGrid } from '../../src/main/analysis/grid';
import { cameraOriginals, decode, encodeJpeg, encodePng, naturalImage, NO_SHARED, sharedFile } from '../fixtures/forgeries';

async function cropToPng(jpeg: Buffer, left: number, top: number): Promise<Buffer> {
  const { width, height } = await sharp(jpeg).metadata();
  return sharp(jpeg).extract({ left, top, width: width - left, height: height - top }).png().toBuffer();
}

describe('JPEG block grid', () => {
  it('reports a crop by (3,5) as offset (3,5), and an uncropped JPEG at (0,0) (synthetic scene)', async () => {
    const jpeg = await encodeJpeg(naturalImage(512, 384, 4), 75);
    const whole = analyzeGrid(await decode(jpeg));
    assert.deepEqual(whole.summary.offset, { x: 0, y: 0 });
    assert.equal(whole.summary.flagged, false, whole.summary.reason);
    const cropped = analyzeGrid(await decode(await cropToPng(jpeg, 3, 5)));
    assert.deepEqual(cropped.summary.offset, { x: 3, y: 5 });
    assert.equal(cropped.summary.flagged, true);
    assert.match(cropped.summary.reason, /cropped by 3 column\(s\) and 5 row\(s\)/);
  });

  const photos = ['abbey_sun_asztnlqhlrvirneh.jpg', 'canyon_sun_aokgdiugvxssbqyl.jpg', 'chalet_sun_alyagmlzovxxkriw.jpg']
    .map((f) => sharedFile(`photos/sun_hays80/${f}`))
    .filter((f): f is string => f !== null);
  it('reads every crop offset of real photographs', { skip: photos.length === 0 ? NO_SHARED : false }, async () => {
    for (const file of photos) {
      const jpeg = fs.readFileSync(file);
      for (const [x, y] of [[3, 5], [7, 1], [0, 4]] as const) {
        const r = analyzeGrid(await decode(await cropToPng(jpeg, x, y)));
        assert.deepEqual(r.summary.offset, { x, y }, `${file} cropped by (${x},${y})`);
      }
    }
  });

  it('sees no grid in a never-compressed picture', async () => {
    const r = analyzeGrid(await decode(await encodePng(naturalImage(512, 384, 4))));
    assert.equal(r.summary.offset, null);
    assert.equal(r.summary.flagged, false);
    assert.match(r.summary.reason, /No (single )?JPEG block grid/);
  });

  const cameras = cameraOriginals().filter((c) => !/P6000/.test(c.file)); // P6000 files were resized by Nikon Transfer
  it('does not flag camera originals', { skip: cameras.length === 0 ? NO_SHARED : false }, async () => {
    const flagged = [];
    for (const c of cameras) {
      const r = analyzeGrid(await decode(fs.readFileSync(c.path)));
      if (r.summary.flagged) flagged.push(`${c.file}: ${r.summary.reason}`);
    }
    assert.deepEqual(flagged, []);
  });
});
