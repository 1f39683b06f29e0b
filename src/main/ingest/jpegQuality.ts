import type { JpegQualityEstimate } from '../../contract/evidence';

/**
 * JPEG header inspection: quantization tables (→ IJG quality estimate) and whether an EXIF
 * thumbnail is embedded. Both are classic forensic cues: re-saving changes the tables, and
 * editors often leave a stale thumbnail of the original picture behind.
 */

/** Annex K standard tables (ITU-T T.81, K.1 and K.2) in natural (row-major) order. */
const ANNEX_K_LUMINANCE = [
  16, 11, 10, 16, 24, 40, 51, 61,
  12, 12, 14, 19, 26, 58, 60, 55,
  14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77,
  24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];
const ANNEX_K_CHROMINANCE = [
  17, 18, 24, 47, 99, 99, 99, 99,
  18, 21, 26, 66, 99, 99, 99, 99,
  24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
];

/** Position in natural order of the k-th coefficient in zig-zag order (DQT stores zig-zag). */
const ZIGZAG_TO_NATURAL = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
];

export interface QuantTable {
  /** Table slot 0..3 the segment assigns it to. */
  id: number;
  /** 8 or 16 bits per entry. */
  precision: 8 | 16;
  /** 64 divisors in natural (row-major) order. */
  values: number[];
}

export interface JpegHeaderInfo {
  /** Every table defined before the first scan, in file order (a later table may redefine a slot). */
  quantTables: QuantTable[];
  /** Table slot used by each frame component, in component order (Y, Cb, Cr for YCbCr). */
  componentTableIds: number[];
  hasEmbeddedThumbnail: boolean;
}

/** libjpeg's jpeg_quality_scaling(): quality 1..100 → percentage scale factor. */
export function ijgScaleFactor(quality: number): number {
  const q = Math.min(100, Math.max(1, Math.trunc(quality)));
  return q < 50 ? Math.trunc(5000 / q) : 200 - q * 2;
}

/** libjpeg's jpeg_add_quant_table(): scale a base table, clamp to 1..255 (baseline) or 1..32767. */
export function scaleIjgTable(base: readonly number[], quality: number, forceBaseline = true): number[] {
  const scale = ijgScaleFactor(quality);
  const max = forceBaseline ? 255 : 32767;
  return base.map((v) => Math.min(max, Math.max(1, Math.trunc((v * scale + 50) / 100))));
}

/** The table a libjpeg-family encoder writes at the given quality (baseline, natural order). */
export function standardTable(kind: 'luminance' | 'chrominance', quality: number): number[] {
  return scaleIjgTable(kind === 'luminance' ? ANNEX_K_LUMINANCE : ANNEX_K_CHROMINANCE, quality);
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Distance between an actual table and a scaled standard one: mean absolute log-ratio. Ratios
 * rather than differences so that a camera's custom table is judged by its overall coarseness,
 * not dominated by the few large high-frequency divisors.
 */
function tableDistance(actual: readonly number[], expected: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 64; i++) sum += Math.abs(Math.log(actual[i] / expected[i]));
  return sum / 64;
}

/**
 * IJG quality 1..100 whose scaled Annex K luminance table best matches `luminance`, and
 * whether the tables are exactly the standard ones (luminance, and chrominance when given).
 */
export function estimateIjgQuality(
  luminance: QuantTable,
  chrominance: QuantTable | undefined,
  tableCount: number,
): JpegQualityEstimate {
  const forceBaseline = luminance.precision === 8;
  let best = { quality: 1, distance: Infinity };
  // From 100 down so that on an exact tie the higher quality (finer table) wins deterministically.
  for (let q = 100; q >= 1; q--) {
    const distance = tableDistance(luminance.values, scaleIjgTable(ANNEX_K_LUMINANCE, q, forceBaseline));
    if (distance < best.distance) best = { quality: q, distance };
  }
  const q = best.quality;
  const lumExact = sameValues(luminance.values, scaleIjgTable(ANNEX_K_LUMINANCE, q, forceBaseline));
  const chromaExact =
    chrominance === undefined ||
    sameValues(chrominance.values, scaleIjgTable(ANNEX_K_CHROMINANCE, q, chrominance.precision === 8));
  return { quality: q, standardTables: lumExact && chromaExact, tables: tableCount };
}

function readQuantTables(segment: Buffer, into: QuantTable[]): void {
  let p = 0;
  while (p < segment.length) {
    const precision = segment[p] >> 4 === 0 ? 8 : 16;
    const id = segment[p] & 0x0f;
    const size = precision === 8 ? 64 : 128;
    if (p + 1 + size > segment.length) return; // damaged segment: keep the complete tables only
    const values = new Array<number>(64);
    for (let k = 0; k < 64; k++) {
      const raw = precision === 8 ? segment[p + 1 + k] : segment.readUInt16BE(p + 1 + 2 * k);
      values[ZIGZAG_TO_NATURAL[k]] = raw;
    }
    into.push({ id, precision, values });
    p += 1 + size;
  }
}

function readFrameTableIds(segment: Buffer): number[] {
  // SOF: precision(1) height(2) width(2) count(1), then per component id(1) sampling(1) table(1).
  if (segment.length < 6) return [];
  const count = segment[5];
  const ids: number[] = [];
  for (let c = 0; c < count && 6 + c * 3 + 2 < segment.length; c++) ids.push(segment[6 + c * 3 + 2] & 0x0f);
  return ids;
}

/**
 * True when an APP1 Exif payload has an IFD1 with a JPEG thumbnail (JPEGInterchangeFormat
 * 0x0201 + JPEGInterchangeFormatLength 0x0202) that lies inside the segment.
 */
export function exifHasThumbnail(app1: Buffer): boolean {
  if (app1.length < 14 || app1.toString('latin1', 0, 6) !== 'Exif\0\0') return false;
  const tiff = app1.subarray(6);
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return false;
  const le = order === 'II';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const fits = (o: number, n: number) => o >= 8 && o + n <= tiff.length;

  const ifd0 = u32(4);
  if (!fits(ifd0, 2)) return false;
  const ifd0Count = u16(ifd0);
  const nextPtr = ifd0 + 2 + ifd0Count * 12;
  if (!fits(nextPtr, 4)) return false;
  const ifd1 = u32(nextPtr);
  if (ifd1 === 0 || !fits(ifd1, 2)) return false;
  const ifd1Count = u16(ifd1);
  let offset = 0;
  let length = 0;
  for (let i = 0; i < ifd1Count; i++) {
    const entry = ifd1 + 2 + i * 12;
    if (!fits(entry, 12)) break;
    const tag = u16(entry);
    if (tag === 0x0201) offset = u32(entry + 8);
    if (tag === 0x0202) length = u32(entry + 8);
  }
  return length > 0 && fits(offset, length);
}

/**
 * Walks the JPEG marker segments up to the first scan (SOS) and collects what the header says.
 * Tolerant of damage: stops at the first malformed segment and returns what it found.
 */
export function readJpegHeader(bytes: Buffer): JpegHeaderInfo {
  const info: JpegHeaderInfo = { quantTables: [], componentTableIds: [], hasEmbeddedThumbnail: false };
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return info;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) break;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++; // fill byte before a marker
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // EOI, or SOS: entropy-coded data follows
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      p += 2; // standalone markers carry no length
      continue;
    }
    const length = bytes.readUInt16BE(p + 2);
    if (length < 2 || p + 2 + length > bytes.length) break;
    const segment = bytes.subarray(p + 4, p + 2 + length);
    if (marker === 0xdb) readQuantTables(segment, info.quantTables);
    else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      info.componentTableIds = readFrameTableIds(segment);
    } else if (marker === 0xe1 && !info.hasEmbeddedThumbnail) info.hasEmbeddedThumbnail = exifHasThumbnail(segment);
    p += 2 + length;
  }
  return info;
}

/** The table currently assigned to a slot: the last definition wins, as in a decoder. */
function tableForSlot(tables: readonly QuantTable[], id: number): QuantTable | undefined {
  for (let i = tables.length - 1; i >= 0; i--) if (tables[i].id === id) return tables[i];
  return undefined;
}

/** Quality estimate from a JPEG header, or undefined when it defines no quantization table. */
export function estimateJpegQuality(header: JpegHeaderInfo): JpegQualityEstimate | undefined {
  const { quantTables, componentTableIds } = header;
  if (quantTables.length === 0) return undefined;
  const lumId = componentTableIds[0] ?? quantTables[0].id;
  const luminance = tableForSlot(quantTables, lumId) ?? quantTables[0];
  // The second component's table, even when it reuses slot 0: a libjpeg encoder never shares
  // the luminance table with chroma, so sharing must not pass as "standard". Greyscale has none.
  const chromaId = componentTableIds[1];
  const chrominance = chromaId === undefined ? undefined : tableForSlot(quantTables, chromaId);
  return estimateIjgQuality(luminance, chrominance, quantTables.length);
}
