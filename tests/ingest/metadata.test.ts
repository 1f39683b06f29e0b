import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ingestFile } from '../../src/main/ingest/index';
import { sha256Buffer } from '../../src/main/ingest/hash';
import { makeBadFiles, makeJpeg, makeJpegBuffer, makePng, makePngBuffer, withPngTextChunk } from '../fixtures/images';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-meta-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);
const size = { width: 160, height: 120, seed: 21 };
const NO_EXIF = /No EXIF metadata/;
const EDITOR = /names editing software/;

test('EXIF written with sharp comes back: camera, software, dates, lens, GPS; XMP CreatorTool', async () => {
  const file = await makeJpeg(at('edited.jpg'), {
    ...size,
    quality: 88,
    exif: {
      make: 'Canon',
      model: 'Canon EOS 5D Mark IV',
      software: 'Adobe Photoshop 25.0 Windows',
      dateTimeOriginal: '2023:05:06 07:08:09',
      modifyDate: '2024:01:02 03:04:05',
      lensModel: 'EF24-70mm f/2.8L II USM',
      gps: { latitude: 48.8584, longitude: -2.2945 },
    },
    xmpCreatorTool: 'GIMP 2.10',
  });
  const { metadata, bytes } = await ingestFile(file);

  assert.equal(metadata.path, file);
  assert.equal(metadata.fileName, 'edited.jpg');
  assert.equal(metadata.sha256, sha256Buffer(fs.readFileSync(file)));
  assert.equal(metadata.sizeBytes, fs.statSync(file).size);
  assert.equal(bytes.length, metadata.sizeBytes);
  assert.equal(metadata.format, 'jpeg');
  assert.equal(metadata.hasExif, true);
  assert.equal(metadata.hasXmp, true);
  assert.deepEqual(
    { ...metadata.exif, gps: undefined },
    {
      make: 'Canon',
      model: 'Canon EOS 5D Mark IV',
      software: 'Adobe Photoshop 25.0 Windows',
      dateTimeOriginal: '2023-05-06T07:08:09',
      modifyDate: '2024-01-02T03:04:05',
      lensModel: 'EF24-70mm f/2.8L II USM',
      creatorTool: 'GIMP 2.10',
      gps: undefined,
    },
  );
  assert.ok(Math.abs(metadata.exif.gps!.latitude - 48.8584) < 1e-4);
  assert.ok(Math.abs(metadata.exif.gps!.longitude + 2.2945) < 1e-4, 'western longitude is negative');
  assert.deepEqual(metadata.jpegQuality, { quality: 88, standardTables: true, tables: 2 });

  const editorWarnings = metadata.warnings.filter((w) => EDITOR.test(w));
  assert.equal(editorWarnings.length, 2, metadata.warnings.join('\n'));
  assert.match(editorWarnings[0], /EXIF Software tag.*Adobe Photoshop 25\.0/);
  assert.match(editorWarnings[1], /XMP CreatorTool.*GIMP 2\.10/);
  assert.ok(metadata.warnings.some((w) => /modify date, 2024-01-02 03:04:05 \(camera clock, zone not recorded\), differs from the date taken, 2023-05-06 07:08:09 \(camera clock, zone not recorded\):/.test(w)));
  assert.ok(!metadata.warnings.some((w) => NO_EXIF.test(w)));
});

test('a camera-like original raises no editing warnings and lists only the fields present', async () => {
  const file = await makeJpeg(at('camera.jpg'), {
    ...size,
    exif: { make: 'NIKON CORPORATION', model: 'NIKON D750', dateTimeOriginal: '2022:08:01 12:00:00', modifyDate: '2022:08:01 12:00:00' },
    embedThumbnail: false,
  });
  const { metadata } = await ingestFile(file);
  assert.deepEqual(metadata.exif, {
    make: 'NIKON CORPORATION',
    model: 'NIKON D750',
    dateTimeOriginal: '2022-08-01T12:00:00',
    modifyDate: '2022-08-01T12:00:00',
  });
  assert.deepEqual(metadata.warnings, []);
});

test('each editor family is recognised in the Software tag', async () => {
  for (const software of ['GIMP 2.10.34', 'Adobe Lightroom Classic 13.0', 'Snapseed 2.0', 'Affinity Photo 2', 'Pixelmator Pro 3.5', 'Canva']) {
    const bytes = await makeJpegBuffer({ width: 32, height: 24, exif: { make: 'Apple', software } });
    const file = at('sw.jpg');
    fs.writeFileSync(file, bytes);
    const { metadata } = await ingestFile(file);
    assert.ok(metadata.warnings.some((w) => EDITOR.test(w) && w.includes(software)), `${software}: ${metadata.warnings}`);
  }
  const phone = await makeJpegBuffer({ width: 32, height: 24, exif: { make: 'Apple', software: '17.4.1' } });
  fs.writeFileSync(at('phone.jpg'), phone);
  assert.ok(!(await ingestFile(at('phone.jpg'))).metadata.warnings.some((w) => EDITOR.test(w)), 'an iOS version is not an editor');
});

test('AI generator names and Stable Diffusion PNG parameters are called out', async () => {
  fs.writeFileSync(at('mj.jpg'), await makeJpegBuffer({ ...size, exif: { software: 'Midjourney v6' } }));
  const mj = (await ingestFile(at('mj.jpg'))).metadata;
  assert.ok(mj.warnings.some((w) => /AI image generator \("Midjourney v6"\)/.test(w)), mj.warnings.join('\n'));

  const png = withPngTextChunk(await makePngBuffer(size), 'parameters', 'a lighthouse at dusk\nSteps: 30, Sampler: DPM++ 2M');
  fs.writeFileSync(at('sd.png'), png);
  const sd = (await ingestFile(at('sd.png'))).metadata;
  assert.ok(sd.warnings.some((w) => /PNG text field "parameters"/.test(w)), sd.warnings.join('\n'));
});

test('no EXIF at all is a warning; PNGs have no JPEG quality', async () => {
  const file = await makePng(at('plain.png'), size);
  const { metadata } = await ingestFile(file);
  assert.equal(metadata.hasExif, false);
  assert.deepEqual(metadata.exif, {});
  assert.equal(metadata.jpegQuality, undefined);
  assert.ok(metadata.warnings.some((w) => NO_EXIF.test(w)));
  assert.equal(metadata.bitDepth, 8);
  assert.equal(metadata.hasAlpha, false);
});

test('image properties of the awkward fixtures: CMYK, 16-bit, grey, animated, orientation, alpha, mismatch', async () => {
  const bad = await makeBadFiles(path.join(dir, 'bad'));
  const cmyk = (await ingestFile(bad['cmyk.jpg'].path)).metadata;
  assert.equal(cmyk.colourSpace, 'cmyk');
  assert.equal(cmyk.channels, 4);
  assert.ok(cmyk.warnings.some((w) => /CMYK/.test(w)));

  const deep = (await ingestFile(bad['16bit.png'].path)).metadata;
  assert.equal(deep.bitDepth, 16);
  assert.equal(deep.colourSpace, 'rgb16');
  assert.ok(deep.warnings.some((w) => /16 bits per sample/.test(w)));

  const grey = (await ingestFile(bad['grey.jpg'].path)).metadata;
  assert.equal(grey.channels, 1);
  assert.equal(grey.colourSpace, 'b-w');
  assert.deepEqual(grey.jpegQuality, { quality: 90, standardTables: true, tables: 1 });

  const gif = (await ingestFile(bad['animated.gif'].path)).metadata;
  assert.equal(gif.format, 'gif');
  assert.equal(gif.frames, 2);
  assert.equal(gif.height, 240, 'height of one frame, not of the whole strip');
  assert.ok(gif.warnings.some((w) => /2 frames.*only the first frame is analysed/.test(w)));

  const rotated = (await ingestFile(bad['orientation6.jpg'].path)).metadata;
  assert.equal(rotated.orientation, 6);
  assert.deepEqual([rotated.width, rotated.height, rotated.displayWidth, rotated.displayHeight], [320, 240, 240, 320]);
  assert.ok(rotated.warnings.some((w) => /orientation is 6 \(rotated 90° clockwise\)/.test(w)));
  // withMetadata() embeds libvips' sRGB profile: the ICC name is read from its 'desc' tag.
  assert.equal(rotated.hasIccProfile, true);
  assert.match(rotated.iccDescription ?? '', /sRGB/);

  const mismatch = (await ingestFile(bad['mismatch.png'].path)).metadata;
  assert.equal(mismatch.format, 'jpeg');
  assert.equal(mismatch.extensionMismatch, true);
  assert.ok(mismatch.warnings.some((w) => /extension "\.png" claims PNG, but the content is JPEG/.test(w)));

  fs.writeFileSync(at('alpha.png'), await makePngBuffer({ ...size, alpha: true }));
  const alpha = (await ingestFile(at('alpha.png'))).metadata;
  assert.equal(alpha.hasAlpha, true);
  assert.equal(alpha.channels, 4);
});

test('embedded EXIF thumbnail is reported', async () => {
  const withThumb = (await ingestFile(await makeJpeg(at('thumb.jpg'), { ...size, embedThumbnail: true, exif: { make: 'Canon' } }))).metadata;
  assert.equal(withThumb.hasEmbeddedThumbnail, true);
  assert.equal(withThumb.exif.make, 'Canon');
  const without = (await ingestFile(await makeJpeg(at('nothumb.jpg'), { ...size, exif: { make: 'Canon' } }))).metadata;
  assert.equal(without.hasEmbeddedThumbnail, false);
});

test('WebP and TIFF metadata go through the same path (EXIF from the container)', async () => {
  const webp = await sharp(await makeJpegBuffer(size)).withExif({ IFD0: { Make: 'Google', Model: 'Pixel 8' } }).webp().toBuffer();
  fs.writeFileSync(at('pixel.webp'), webp);
  const w = (await ingestFile(at('pixel.webp'))).metadata;
  assert.equal(w.format, 'webp');
  assert.equal(w.exif.model, 'Pixel 8');
  assert.equal(w.jpegQuality, undefined);

  fs.writeFileSync(at('scan.tiff'), await sharp(await makeJpegBuffer(size)).tiff().toBuffer());
  const t = (await ingestFile(at('scan.tiff'))).metadata;
  assert.equal(t.format, 'tiff');
  assert.equal(t.width, size.width);
});
