// Data after the end of the image (issue 11, finding 6: polyglots): viewers stop at the image's
// end, so whatever follows is invisible. Ingest finds where each format really ends (a JPEG's
// EOI after its last scan, not the one inside its EXIF thumbnail) and warns about what follows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { findTrailingData, imageEnd, ingestFile } from '../../src/main/ingest';
import { makeJpegBuffer, makePngBuffer } from '../fixtures/images';

/** A minimal real ZIP archive holding one file (what a polyglot typically appends). */
function zipOf(name: string, content: string): Buffer {
  const data = deflateRawSync(Buffer.from(content));
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(8, 8);
  header.writeUInt32LE(data.length, 18);
  header.writeUInt32LE(content.length, 22);
  header.writeUInt16LE(name.length, 26);
  return Buffer.concat([header, Buffer.from(name), data]);
}

describe('trailing data after the image', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-trailing-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a JPEG with a ZIP appended: the warning says where, how much and what it looks like', async () => {
    const jpeg = await makeJpegBuffer({ width: 120, height: 90, seed: 4, embedThumbnail: true, exif: { make: 'Canon' } });
    const zip = zipOf('payload.txt', 'hidden instructions');
    const file = path.join(dir, 'holiday.jpg');
    fs.writeFileSync(file, Buffer.concat([jpeg, zip]));
    const { metadata } = await ingestFile(file);
    assert.deepEqual(metadata.trailingData, { offset: jpeg.length, bytes: zip.length, looksLike: 'a ZIP archive (or a ZIP-based document such as DOCX/XLSX)' });
    const warning = metadata.warnings.find((w) => w.includes('follow the end'));
    assert.ok(warning, metadata.warnings.join('\n'));
    assert.match(warning, new RegExp(`${zip.length} bytes follow the end of the JPEG image \\(from offset ${jpeg.length}\\), and they look like a ZIP archive.*polyglot`));
    // The image itself still decodes and is analysed as the picture viewers show.
    assert.equal((await sharp(fs.readFileSync(file)).metadata()).width, 120);
  });

  test('the EOI of an embedded EXIF thumbnail is not the end; clean files of every format have no trailing data', async () => {
    const withThumbnail = await makeJpegBuffer({ width: 120, height: 90, seed: 5, embedThumbnail: true, exif: { make: 'Canon' } });
    assert.ok(withThumbnail.indexOf(Buffer.from([0xff, 0xd9])) < withThumbnail.length - 2, 'the thumbnail has an EOI before the end');
    assert.equal(imageEnd(withThumbnail, 'jpeg'), withThumbnail.length);
    const progressive = await sharp(await makeJpegBuffer({ width: 200, height: 150, seed: 6 })).jpeg({ progressive: true }).toBuffer();
    const clean: [Buffer, Parameters<typeof findTrailingData>[1]][] = [
      [withThumbnail, 'jpeg'],
      [progressive, 'jpeg'],
      [await makePngBuffer({ width: 64, height: 48, seed: 1 }), 'png'],
      [await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123456' } }).gif().toBuffer(), 'gif'],
      [await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123456' } }).webp().toBuffer(), 'webp'],
    ];
    for (const [bytes, format] of clean) {
      assert.equal(imageEnd(bytes, format), bytes.length, `${format} ends at its last byte`);
      assert.equal(findTrailingData(bytes, format), null, format);
      // Padding some writers leave is not data.
      assert.equal(findTrailingData(Buffer.concat([bytes, Buffer.from('\n\0\0')]), format), null, `${format} with padding`);
    }
  });

  test('PNG, GIF and WebP with data appended, and what it looks like', async () => {
    const html = Buffer.from('<!doctype html><script>alert(1)</script>');
    const png = await makePngBuffer({ width: 64, height: 48, seed: 2 });
    assert.deepEqual(findTrailingData(Buffer.concat([png, html]), 'png'), { offset: png.length, bytes: html.length, looksLike: 'an HTML page' });
    const gif = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#654321' } }).gif().toBuffer();
    const hidden = await makeJpegBuffer({ width: 32, height: 32, seed: 9 });
    assert.deepEqual(findTrailingData(Buffer.concat([gif, hidden]), 'gif'), { offset: gif.length, bytes: hidden.length, looksLike: 'a JPEG image' });
    const webp = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#654321' } }).webp().toBuffer();
    const blob = Buffer.from('MZ\x90\x00 executable bytes follow', 'latin1');
    assert.deepEqual(findTrailingData(Buffer.concat([webp, blob]), 'webp'), { offset: webp.length, bytes: blob.length, looksLike: 'a Windows executable' });
  });
});
