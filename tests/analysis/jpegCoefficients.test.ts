import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { componentPlane, decodeJpegCoefficients, JpegDecodeError } from '../../src/main/analysis/jpegCoefficients';
import { cameraOriginals, decode, NO_SHARED, naturalImage } from '../fixtures/forgeries';

/** Rounds and clamps the rebuilt plane and compares it with libjpeg's decode (one channel). */
function compareWithLibjpeg(plane: { width: number; height: number; data: Float32Array }, pixels: Buffer, channels: number) {
  let exact = 0;
  let maxDiff = 0;
  for (let i = 0; i < plane.width * plane.height; i++) {
    const v = Math.min(255, Math.max(0, Math.round(plane.data[i]!)));
    const d = Math.abs(v - pixels[i * channels]!);
    if (d === 0) exact++;
    maxDiff = Math.max(maxDiff, d);
  }
  return { exactShare: exact / (plane.width * plane.height), maxDiff };
}

async function greyJpeg(options: { quality: number; progressive?: boolean; mozjpeg?: boolean }): Promise<Buffer> {
  const img = naturalImage(203, 157, 3); // not a multiple of 8 or 16: padding blocks are exercised
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .toColourspace('b-w')
    .jpeg({ quality: options.quality, progressive: options.progressive ?? false, mozjpeg: options.mozjpeg ?? false })
    .toBuffer();
}

describe('JPEG coefficient decoder', () => {
  for (const variant of [
    { name: 'baseline', quality: 90 },
    { name: 'progressive (spectral selection and successive approximation)', quality: 75, progressive: true },
    { name: 'mozjpeg progressive with optimised scans', quality: 80, mozjpeg: true },
  ]) {
    it(`rebuilds libjpeg's pixels from the coefficients of a ${variant.name} greyscale JPEG`, async () => {
      const jpeg = await greyJpeg(variant);
      const frame = decodeJpegCoefficients(jpeg);
      assert.equal(frame.components.length, 1, 'sharp wrote a one-component JPEG');
      assert.equal(frame.process, variant.progressive || variant.mozjpeg ? 'progressive' : 'baseline');
      assert.deepEqual(frame.warnings, []);
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      const { exactShare, maxDiff } = compareWithLibjpeg(componentPlane(frame), data, info.channels);
      // A float IDCT against libjpeg's integer one: equal to the level almost everywhere, never 2 apart.
      assert.ok(maxDiff <= 1, `largest difference ${maxDiff}`);
      assert.ok(exactShare > 0.97, `only ${(exactShare * 100).toFixed(1)}% of pixels equal`);
    });
  }

  it('returns the exact quantised integers: a flat grey block at quality 100 has DC = 8 × (level − 128) and no AC', async () => {
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 200, b: 200 } } })
      .toColourspace('b-w')
      .jpeg({ quality: 100 })
      .toBuffer();
    const frame = decodeJpegCoefficients(jpeg);
    const y = frame.components[0]!;
    assert.equal(y.quantTable![0], 1);
    for (let b = 0; b < 4; b++) {
      assert.equal(y.coefficients[b * 64], 8 * (200 - 128));
      for (let k = 1; k < 64; k++) assert.equal(y.coefficients[b * 64 + k], 0);
    }
  });

  it('decodes 4:2:0 colour JPEGs: the luma plane agrees with the decoded RGB to rounding', async () => {
    const img = naturalImage(320, 216, 8);
    const jpeg = await sharp(img.data, { raw: { width: 320, height: 216, channels: 3 } }).jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toBuffer();
    const frame = decodeJpegCoefficients(jpeg);
    assert.deepEqual(frame.components.map((c) => [c.h, c.v]), [[2, 2], [1, 1], [1, 1]]);
    assert.equal(frame.components[1]!.blocksWide, 20);
    const rgb = await decode(jpeg);
    const plane = componentPlane(frame);
    let sum = 0;
    for (let i = 0; i < plane.width * plane.height; i++) {
      const luma = 0.299 * rgb.data[i * 3]! + 0.587 * rgb.data[i * 3 + 1]! + 0.114 * rgb.data[i * 3 + 2]!;
      sum += Math.abs(luma - Math.min(255, Math.max(0, plane.data[i]!)));
    }
    assert.ok(sum / (plane.width * plane.height) < 0.8, `mean luma difference ${(sum / (plane.width * plane.height)).toFixed(2)}`);
  });

  const withRestarts = cameraOriginals().filter((c) => /Casio_EX-S1|FujiFilm_FinePix1400Zoom_1_|FLIR_Vue/.test(c.file));
  it('decodes camera files with restart intervals (DRI) as libjpeg does', { skip: withRestarts.length === 0 ? NO_SHARED : false }, async () => {
    for (const c of withRestarts) {
      const bytes = fs.readFileSync(c.path);
      const frame = decodeJpegCoefficients(bytes);
      assert.ok(frame.restartInterval > 0, `${c.file} has restart markers`);
      assert.deepEqual(frame.warnings, [], c.file);
      const rgb = await decode(bytes);
      const plane = componentPlane(frame);
      let sum = 0;
      for (let i = 0; i < plane.width * plane.height; i++) {
        const luma = 0.299 * rgb.data[i * 3]! + 0.587 * rgb.data[i * 3 + 1]! + 0.114 * rgb.data[i * 3 + 2]!;
        sum += Math.abs(luma - Math.min(255, Math.max(0, plane.data[i]!)));
      }
      assert.ok(sum / (plane.width * plane.height) < 0.8, `${c.file}: mean luma difference ${(sum / (plane.width * plane.height)).toFixed(2)}`);
    }
  });

  it('keeps what it decoded from a truncated file and says where the data ends', async () => {
    const img = naturalImage(256, 192, 5);
    const jpeg = await sharp(img.data, { raw: { width: 256, height: 192, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    const frame = decodeJpegCoefficients(cut);
    assert.equal(frame.warnings.length, 1);
    assert.match(frame.warnings[0]!, /data ends before the last block at MCU \d+ of 192/);
    const full = decodeJpegCoefficients(jpeg);
    // The first MCU rows are identical to the complete file's.
    const y = frame.components[0]!;
    assert.deepEqual(y.coefficients.subarray(0, 64 * y.blocksPerLine * 4), full.components[0]!.coefficients.subarray(0, 64 * y.blocksPerLine * 4));
  });

  it('refuses what is not a decodable DCT JPEG with a message', async () => {
    assert.throws(() => decodeJpegCoefficients(Buffer.from('not a jpeg at all')), (e: unknown) => e instanceof JpegDecodeError && /Not a JPEG/.test((e as Error).message));
    const jpeg = await greyJpeg({ quality: 80 });
    const arithmetic = Buffer.from(jpeg);
    const sof = arithmetic.indexOf(Buffer.from([0xff, 0xc0]));
    arithmetic[sof + 1] = 0xc9; // SOF9: extended sequential, arithmetic coding
    assert.throws(() => decodeJpegCoefficients(arithmetic), /arithmetic coding/);
    assert.throws(() => decodeJpegCoefficients(jpeg, { maxPixels: 1000 }), /more than the 1000/);
  });
});
