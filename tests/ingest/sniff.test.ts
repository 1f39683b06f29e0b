import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { makeNaturalPixels } from '../fixtures/images';
import { describeNonImage, formatFromExtension, hasExtensionMismatch, sniffFormat } from '../../src/main/ingest/sniff';

const W = 32;
const H = 24;
const scene = () => sharp(makeNaturalPixels(W, H, 3), { raw: { width: W, height: H, channels: 3 } });

/** A minimal 2×2 24-bit BMP written by hand (sharp cannot encode BMP). */
function bmpBytes(): Buffer {
  const rowBytes = 8; // 2 px × 3 bytes, padded to 4
  const pixels = Buffer.alloc(rowBytes * 2, 0x80);
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10); // pixel data offset
  header.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  header.writeInt32LE(2, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, pixels]);
}

/** An ISO-BMFF ftyp box with the given major and compatible brands. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const size = 16 + 4 * compatible.length;
  const box = Buffer.alloc(size);
  box.writeUInt32BE(size, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(major, 8, 'latin1');
  compatible.forEach((b, i) => box.write(b, 16 + 4 * i, 'latin1'));
  return Buffer.concat([box, Buffer.alloc(16)]);
}

test('real files written by sharp are recognised from their first bytes', async () => {
  assert.equal(sniffFormat(await scene().jpeg().toBuffer()), 'jpeg');
  assert.equal(sniffFormat(await scene().png().toBuffer()), 'png');
  assert.equal(sniffFormat(await scene().webp().toBuffer()), 'webp');
  assert.equal(sniffFormat(await scene().gif().toBuffer()), 'gif');
  assert.equal(sniffFormat(await scene().avif({ effort: 0 }).toBuffer()), 'avif');
  const tiff = await scene().tiff().toBuffer();
  assert.equal(tiff.toString('latin1', 0, 2), 'II');
  assert.equal(sniffFormat(tiff), 'tiff');
});

test('hand-written headers: big-endian TIFF, BigTIFF, GIF87a, BMP, HEIC brands', () => {
  assert.equal(sniffFormat(Buffer.from('MM\0*\0\0\0\x08', 'latin1')), 'tiff');
  assert.equal(sniffFormat(Buffer.from('II+\0\x08\0\0\0', 'latin1')), 'tiff');
  assert.equal(sniffFormat(Buffer.from('GIF87a\x02\0\x02\0', 'latin1')), 'gif');
  assert.equal(sniffFormat(bmpBytes()), 'bmp');
  assert.equal(sniffFormat(ftyp('heic', 'mif1', 'heic')), 'heif');
  assert.equal(sniffFormat(ftyp('mif1', 'heic')), 'heif');
  // An AVIF brand anywhere wins over the generic HEIF structural brand.
  assert.equal(sniffFormat(ftyp('mif1', 'mif1', 'avif')), 'avif');
});

test('non-images and look-alikes are not taken for images', () => {
  assert.equal(sniffFormat(Buffer.alloc(0)), null);
  assert.equal(sniffFormat(Buffer.from([0xff, 0xd8])), null, 'two bytes are not enough for JPEG');
  assert.equal(sniffFormat(Buffer.from('%PDF-1.7\n%âãÏÓ\n', 'latin1')), null);
  assert.equal(sniffFormat(Buffer.from('BMW service record, 2021. Mileage 40000 km.')), null, 'text starting "BM" is not a bitmap');
  assert.equal(sniffFormat(ftyp('isom', 'isom', 'mp41')), null, 'an MP4 video is not HEIF');
  assert.equal(sniffFormat(Buffer.from('RIFF\x24\0\0\0WAVEfmt ', 'latin1')), null);
});

test('describeNonImage names what a refused file looks like', () => {
  assert.match(describeNonImage(Buffer.from('%PDF-1.4\n'))!, /PDF/);
  assert.match(describeNonImage(Buffer.from('PK\x03\x04\x14\0\0\0', 'latin1'))!, /ZIP/);
  assert.match(describeNonImage(Buffer.from('Meeting notes\nline two\n'))!, /plain text/);
  assert.match(describeNonImage(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))!, /SVG/);
  assert.match(describeNonImage(Buffer.from('<!DOCTYPE html><html></html>'))!, /HTML/);
  assert.match(describeNonImage(ftyp('qt  ', 'qt  '))!, /video/);
  assert.equal(describeNonImage(Buffer.from([0x00, 0x13, 0x88, 0xfe, 0x00, 0x01])), null, 'unknown binary stays unnamed');
});

test('formatFromExtension and the mismatch check', () => {
  assert.equal(formatFromExtension('IMG_0001.JPG'), 'jpeg');
  assert.equal(formatFromExtension('scan.tif'), 'tiff');
  assert.equal(formatFromExtension('phone.HEIC'), 'heif');
  assert.equal(formatFromExtension('a.avif'), 'avif');
  assert.equal(formatFromExtension('notes.txt'), null);
  assert.equal(formatFromExtension('README'), null);

  assert.equal(hasExtensionMismatch('photo.jpeg', 'jpeg'), false);
  assert.equal(hasExtensionMismatch('photo.png', 'jpeg'), true);
  assert.equal(hasExtensionMismatch('evidence.dat', 'png'), true, 'a non-image extension on an image disagrees');
  assert.equal(hasExtensionMismatch('no_extension', 'jpeg'), false, 'no extension claims nothing');
});
