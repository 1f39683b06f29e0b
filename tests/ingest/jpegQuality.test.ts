import { test } from 'node:test';
import assert from 'node:assert/strict';
import exifr from 'exifr';
import { exifApp1WithThumbnail, makeJpegBuffer } from '../fixtures/images';
import {
  estimateJpegQuality,
  exifHasThumbnail,
  readJpegHeader,
  scaleIjgTable,
  standardTable,
} from '../../src/main/ingest/jpegQuality';

const QUALITIES = [30, 50, 75, 90, 95, 100];
const small = { width: 96, height: 64, seed: 5 };

/** Zig-zag scan order computed independently of the module (anti-diagonals, alternating direction). */
function zigzagOrder(): number[] {
  const order: number[] = [];
  for (let s = 0; s < 15; s++) {
    const diagonal: number[] = [];
    for (let y = 0; y < 8; y++) {
      const x = s - y;
      if (x >= 0 && x < 8) diagonal.push(y * 8 + x);
    }
    if (s % 2 === 0) diagonal.reverse();
    order.push(...diagonal);
  }
  return order;
}
const ZIGZAG = zigzagOrder();

/** A DQT segment holding several tables (natural-order values), each 8- or 16-bit. */
function dqt(tables: { id: number; values: number[]; sixteenBit?: boolean }[]): Buffer {
  const parts = tables.map(({ id, values, sixteenBit }) => {
    const body = Buffer.alloc(1 + (sixteenBit ? 128 : 64));
    body[0] = ((sixteenBit ? 1 : 0) << 4) | id;
    ZIGZAG.forEach((natural, k) => {
      if (sixteenBit) body.writeUInt16BE(values[natural], 1 + 2 * k);
      else body[1 + k] = values[natural];
    });
    return body;
  });
  const payload = Buffer.concat(parts);
  const head = Buffer.from([0xff, 0xdb, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** SOF0 with one component per table id given (Y, Cb, Cr ...). */
function sof(tableIds: number[]): Buffer {
  const seg = Buffer.alloc(2 + 8 + 3 * tableIds.length);
  seg.writeUInt16BE(0xffc0, 0);
  seg.writeUInt16BE(8 + 3 * tableIds.length, 2);
  seg[4] = 8;
  seg.writeUInt16BE(16, 5);
  seg.writeUInt16BE(16, 7);
  seg[9] = tableIds.length;
  tableIds.forEach((tq, c) => {
    seg[10 + 3 * c] = c + 1;
    seg[11 + 3 * c] = 0x11;
    seg[12 + 3 * c] = tq;
  });
  return seg;
}

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);

test('IJG scaling follows libjpeg: q50 is the Annex K table, q100 all ones, clamping at 255 or 32767', () => {
  const base = standardTable('luminance', 50);
  assert.deepEqual(base.slice(0, 8), [16, 11, 10, 16, 24, 40, 51, 61]);
  assert.ok(standardTable('luminance', 100).every((v) => v === 1));
  assert.ok(standardTable('luminance', 1).every((v) => v === 255), 'baseline tables clamp to 255');
  // q=75: scale 50 → (16*50+50)/100 = 8, (11*50+50)/100 = 6 (integer division as in libjpeg)
  assert.deepEqual(standardTable('luminance', 75).slice(0, 2), [8, 6]);
  // Non-baseline (16-bit) tables keep large divisors: 16 × 5000 / 100 = 800.
  assert.equal(scaleIjgTable(base, 1, false)[0], 800);
});

for (const mozjpeg of [undefined, false] as const) {
  test(`sharp JPEGs (mozjpeg: ${String(mozjpeg)}) estimate exactly the quality they were saved at`, async () => {
    for (const quality of QUALITIES) {
      const jpeg = await makeJpegBuffer({ ...small, quality, ...(mozjpeg === undefined ? {} : { mozjpeg }) });
      const estimate = estimateJpegQuality(readJpegHeader(jpeg));
      assert.deepEqual(estimate, { quality, standardTables: true, tables: 2 }, `quality ${quality}`);
    }
  });
}

test("mozjpeg's own tables are recognised as non-standard; the IJG-equivalent quality is lower", async () => {
  // sharp's mozjpeg preset uses quantisation table 3 (ImageMagick's), finer than Annex K at the
  // same setting. The estimate reports the Annex K quality of equal coarseness, so it lands
  // below the nominal setting (by up to ~14 in the mid range); it is not the ±2 of IJG tables.
  for (const quality of [30, 50, 75, 90, 95]) {
    const jpeg = await makeJpegBuffer({ ...small, quality, mozjpeg: true });
    const estimate = estimateJpegQuality(readJpegHeader(jpeg))!;
    assert.equal(estimate.standardTables, false, `quality ${quality}`);
    assert.ok(estimate.quality < quality && estimate.quality >= quality - 15, `quality ${quality} → ${estimate.quality}`);
  }
});

test('several tables in one DQT segment, 8-bit', () => {
  const header = readJpegHeader(
    Buffer.concat([
      SOI,
      dqt([
        { id: 0, values: standardTable('luminance', 60) },
        { id: 1, values: standardTable('chrominance', 60) },
      ]),
      sof([0, 1, 1]),
      EOI,
    ]),
  );
  assert.equal(header.quantTables.length, 2);
  assert.deepEqual(header.componentTableIds, [0, 1, 1]);
  assert.deepEqual(estimateJpegQuality(header), { quality: 60, standardTables: true, tables: 2 });
});

test('a custom chrominance table keeps the luminance quality but is not standard', () => {
  const custom = standardTable('chrominance', 60).map((v, i) => (i % 2 ? v + 3 : v));
  const header = readJpegHeader(
    Buffer.concat([SOI, dqt([{ id: 0, values: standardTable('luminance', 60) }, { id: 1, values: custom }]), sof([0, 1, 1]), EOI]),
  );
  assert.deepEqual(estimateJpegQuality(header), { quality: 60, standardTables: false, tables: 2 });
});

test('chroma sharing the luminance table is not what a libjpeg encoder writes', () => {
  const header = readJpegHeader(Buffer.concat([SOI, dqt([{ id: 0, values: standardTable('luminance', 80) }]), sof([0, 0, 0]), EOI]));
  assert.deepEqual(estimateJpegQuality(header), { quality: 80, standardTables: false, tables: 1 });
});

test('16-bit precision tables (non-baseline) at a very low quality', () => {
  const lum = scaleIjgTable(standardTable('luminance', 50), 5, false);
  const chroma = scaleIjgTable(standardTable('chrominance', 50), 5, false);
  assert.ok(lum.some((v) => v > 255), 'the case needs 16-bit storage');
  const header = readJpegHeader(
    Buffer.concat([
      SOI,
      dqt([{ id: 0, values: lum, sixteenBit: true }]),
      dqt([{ id: 1, values: chroma, sixteenBit: true }]),
      sof([0, 1, 1]),
      EOI,
    ]),
  );
  assert.equal(header.quantTables[0].precision, 16);
  assert.deepEqual(estimateJpegQuality(header), { quality: 5, standardTables: true, tables: 2 });
});

test('greyscale JPEG: one table, no chrominance to check', async () => {
  const sharp = (await import('sharp')).default;
  const jpeg = await sharp(await makeJpegBuffer(small)).toColourspace('b-w').jpeg({ quality: 42 }).toBuffer();
  assert.deepEqual(estimateJpegQuality(readJpegHeader(jpeg)), { quality: 42, standardTables: true, tables: 1 });
});

test('damaged or foreign input never throws', async () => {
  const jpeg = await makeJpegBuffer({ ...small, quality: 75 });
  const dqtAt = jpeg.indexOf(Buffer.from([0xff, 0xdb]));
  const cut = readJpegHeader(jpeg.subarray(0, dqtAt + 30));
  assert.equal(cut.quantTables.length, 0);
  assert.equal(estimateJpegQuality(cut), undefined);
  assert.deepEqual(readJpegHeader(Buffer.from('not a jpeg at all')).quantTables, []);
});

test('embedded EXIF thumbnail is detected, in agreement with exifr', async () => {
  const withThumb = await makeJpegBuffer({ ...small, embedThumbnail: true, exif: { make: 'Canon', model: 'EOS 80D' } });
  const withExifOnly = await makeJpegBuffer({ ...small, exif: { make: 'Canon' } });
  const bare = await makeJpegBuffer(small);

  assert.equal(readJpegHeader(withThumb).hasEmbeddedThumbnail, true);
  const thumb = await exifr.thumbnail(withThumb);
  assert.ok(thumb && thumb[0] === 0xff && thumb[1] === 0xd8, 'exifr extracts the same JPEG thumbnail');

  assert.equal(readJpegHeader(withExifOnly).hasEmbeddedThumbnail, false);
  assert.equal(await exifr.thumbnail(withExifOnly), undefined);
  assert.equal(readJpegHeader(bare).hasEmbeddedThumbnail, false);
});

test('a thumbnail pointer outside the EXIF block does not count', () => {
  const app1 = exifApp1WithThumbnail({ make: 'X' }, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  const payload = app1.subarray(4); // "Exif\0\0" + TIFF
  assert.equal(exifHasThumbnail(payload), true);
  const broken = Buffer.from(payload);
  const lengthTag = broken.indexOf(Buffer.from([0x02, 0x02, 0x04, 0x00])); // 0x0202 LONG, little-endian
  assert.ok(lengthTag > 8, 'found the JPEGInterchangeFormatLength entry');
  broken.writeUInt32LE(0x7fffffff, lengthTag + 8);
  assert.equal(exifHasThumbnail(broken), false);
});
