import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../../src/main/ingest/decode';
import { EvidenceError } from '../../src/main/errors';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { makeBadFiles, makeJpegBuffer, makeNaturalPixels, makePngBuffer, ORIENTATION_MARKER, type BadFile } from '../fixtures/images';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-decode-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const badFiles = makeBadFiles(dir);
const LIMIT = { maxPixels: 200_000_000 };

async function decodeFixture(name: keyof Awaited<typeof badFiles>): Promise<DecodedImage> {
  const file: BadFile = (await badFiles)[name];
  return decodeImage(fs.readFileSync(file.path), { ...LIMIT, fileName: name });
}

function pixel(img: DecodedImage, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

function assertRgb8(img: DecodedImage, width: number, height: number): void {
  assert.equal(img.channels, 3);
  assert.equal(img.width, width);
  assert.equal(img.height, height);
  assert.equal(img.data.length, width * height * 3);
}

/** Mean absolute difference per sample between two equally sized RGB buffers. */
function meanAbsDiff(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function decodeError(bytes: Buffer, maxPixels = LIMIT.maxPixels): Promise<EvidenceError> {
  try {
    await decodeImage(bytes, { maxPixels, fileName: 'evidence.bin' });
  } catch (err) {
    assert.ok(err instanceof EvidenceError, `expected an EvidenceError, got ${err}`);
    return err;
  }
  assert.fail('decoding should have failed');
}

test('EXIF orientation 6: width and height swap and the stored top-left corner moves to the top-right', async () => {
  const img = await decodeFixture('orientation6.jpg');
  assertRgb8(img, 240, 320);
  const near = (p: number[], q: number[]) => p.every((v, i) => Math.abs(v - q[i]) < 40);
  assert.ok(near(pixel(img, img.width - 5, 5), ORIENTATION_MARKER), `top-right is ${pixel(img, img.width - 5, 5)}`);
  assert.ok(!near(pixel(img, 5, 5), ORIENTATION_MARKER), 'top-left no longer holds the marker');
  assert.ok(!near(pixel(img, img.width - 5, img.height - 5), ORIENTATION_MARKER));
});

test('CMYK decodes through ICC conversion to RGB close to the original colours', async () => {
  const img = await decodeFixture('cmyk.jpg');
  assertRgb8(img, 320, 240);
  const original = makeNaturalPixels(320, 240, 7);
  // A print round trip is not lossless, but an inverted or channel-swapped decode would be far off.
  assert.ok(meanAbsDiff(img.data, original) < 20, `mean difference ${meanAbsDiff(img.data, original)}`);
});

test('16-bit PNG decodes to the same 8-bit values it was made from', async () => {
  const img = await decodeFixture('16bit.png');
  assertRgb8(img, 320, 240);
  assert.ok(meanAbsDiff(img.data, makeNaturalPixels(320, 240, 7)) < 0.01);
});

test('greyscale decodes to three equal channels', async () => {
  const img = await decodeFixture('grey.jpg');
  assertRgb8(img, 320, 240);
  for (let i = 0; i < img.data.length; i += 3 * 97) {
    assert.equal(img.data[i], img.data[i + 1]);
    assert.equal(img.data[i], img.data[i + 2]);
  }
});

test('animated GIF: the first frame is decoded, not the second or the whole strip', async () => {
  const img = await decodeFixture('animated.gif');
  assertRgb8(img, 320, 240);
  const toFirst = meanAbsDiff(img.data, makeNaturalPixels(320, 240, 11));
  const toSecond = meanAbsDiff(img.data, makeNaturalPixels(320, 240, 12));
  assert.ok(toFirst < 10, `palette-quantised first frame differs by ${toFirst}`);
  assert.ok(toSecond > toFirst * 3, `second frame ${toSecond} vs first ${toFirst}`);
});

test('transparency is flattened onto white', async () => {
  const png = await makePngBuffer({ width: 60, height: 60, alpha: true });
  const img = await decodeImage(png, LIMIT);
  assertRgb8(img, 60, 60);
  assert.deepEqual(pixel(img, 30, 30), [255, 255, 255], 'transparent middle band');
  assert.notDeepEqual(pixel(img, 30, 5), [255, 255, 255]);
});

test('a plain JPEG decodes to its own pixels', async () => {
  const jpeg = await makeJpegBuffer({ width: 120, height: 80, quality: 100 });
  const img = await decodeImage(jpeg, LIMIT);
  assertRgb8(img, 120, 80);
  assert.ok(meanAbsDiff(img.data, makeNaturalPixels(120, 80, 1)) < 3);
});

test('truncated JPEG is an error, not a grey-padded picture', async () => {
  const err = await decodeError(fs.readFileSync((await badFiles)['truncated.jpg'].path));
  assert.equal(err.code, 'TRUNCATED');
  assert.match(err.message, /evidence\.bin is truncated.*premature end.*acquire the file again/s);
});

test('truncated PNG and WebP are TRUNCATED too', async () => {
  const png = await makePngBuffer({ width: 200, height: 150 });
  assert.equal((await decodeError(png.subarray(0, Math.floor(png.length * 0.6)))).code, 'TRUNCATED');
  const webp = await sharp(await makePngBuffer({ width: 200, height: 150 })).webp().toBuffer();
  assert.equal((await decodeError(webp.subarray(0, Math.floor(webp.length * 0.6)))).code, 'TRUNCATED');
});

test('damaged JPEG tables are CORRUPT', async () => {
  const jpeg = Buffer.from(await makeJpegBuffer({ width: 120, height: 80 }));
  const dht = jpeg.indexOf(Buffer.from([0xff, 0xc4]));
  jpeg.fill(0xff, dht + 5, dht + 40); // an impossible Huffman table
  const err = await decodeError(jpeg);
  assert.equal(err.code, 'CORRUPT');
  assert.match(err.message, /damaged/);
});

test('pixel limit: refused with the dimensions, the limit and how to raise it', async () => {
  const jpeg = await makeJpegBuffer({ width: 120, height: 80 });
  const err = await decodeError(jpeg, 5000);
  assert.equal(err.code, 'TOO_MANY_PIXELS');
  assert.match(err.message, /120 × 80 pixels.*limit of 5000 pixels.*raise.*maxPixels/s);

  const bomb = fs.readFileSync((await badFiles)['huge-header.png'].path);
  const bombErr = await decodeError(bomb);
  assert.equal(bombErr.code, 'TOO_MANY_PIXELS');
  assert.match(bombErr.message, /50000 × 50000/);
});

test('formats this build cannot decode are UNSUPPORTED_FORMAT', async () => {
  // A valid 2×2 BMP written by hand: recognised by its magic bytes, but libvips has no BMP loader.
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + 16, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(2, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  const err = await decodeError(Buffer.concat([header, Buffer.alloc(16, 0x80)]));
  assert.equal(err.code, 'UNSUPPORTED_FORMAT');
  assert.match(err.message, /BMP.*Convert a copy to PNG/s);
});
