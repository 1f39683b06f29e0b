// A small reader for the TIFF structure inside EXIF blocks: IFD0, the Exif and GPS sub-IFDs and
// IFD1 (the thumbnail's). Enough for the analyses that need a few tags synchronously and with
// their raw bytes (thumbnail offsets, UserComment); full metadata goes through exifr/ExifTool.
// Defensive: every offset is bounds-checked, loops are bounded, damage yields fewer tags.

export type TiffValue = string | number | number[] | Uint8Array;

export interface TiffIfds {
  littleEndian: boolean;
  ifd0: Map<number, TiffValue>;
  exif: Map<number, TiffValue>;
  gps: Map<number, TiffValue>;
  ifd1: Map<number, TiffValue>;
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };
const MAX_ENTRIES = 1000;

/** The TIFF block of an EXIF payload: strips the "Exif\0\0" preamble of JPEG/WebP APP1 blocks. */
export function tiffFromExif(exif: Uint8Array): Uint8Array | null {
  let t = exif;
  if (t.length >= 6 && t[0] === 0x45 && t[1] === 0x78 && t[2] === 0x69 && t[3] === 0x66 && t[4] === 0 && t[5] === 0) t = t.subarray(6);
  if (t.length < 8) return null;
  const order = String.fromCharCode(t[0]!, t[1]!);
  return order === 'II' || order === 'MM' ? t : null;
}

export function readTiff(tiff: Uint8Array): TiffIfds | null {
  if (tiff.length < 8) return null;
  const le = tiff[0] === 0x49;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const u16 = (o: number) => view.getUint16(o, le);
  const u32 = (o: number) => view.getUint32(o, le);
  if (u16(2) !== 42) return null;

  const readIfd = (offset: number, into: Map<number, TiffValue>): number => {
    if (offset < 8 || offset + 2 > tiff.length) return 0;
    const count = Math.min(u16(offset), MAX_ENTRIES);
    for (let e = 0; e < count; e++) {
      const entry = offset + 2 + e * 12;
      if (entry + 12 > tiff.length) return 0;
      const tag = u16(entry);
      const type = u16(entry + 2);
      const n = u32(entry + 4);
      const size = TYPE_SIZES[type];
      if (!size || n > 1 << 24) continue;
      const bytes = size * n;
      const at = bytes <= 4 ? entry + 8 : u32(entry + 8);
      if (at + bytes > tiff.length) continue;
      into.set(tag, decodeValue(tiff, view, le, type, n, at));
    }
    const nextAt = offset + 2 + count * 12;
    return nextAt + 4 <= tiff.length ? u32(nextAt) : 0;
  };

  const ifds: TiffIfds = { littleEndian: le, ifd0: new Map(), exif: new Map(), gps: new Map(), ifd1: new Map() };
  const next = readIfd(u32(4), ifds.ifd0);
  const exifAt = ifds.ifd0.get(0x8769);
  if (typeof exifAt === 'number') readIfd(exifAt, ifds.exif);
  const gpsAt = ifds.ifd0.get(0x8825);
  if (typeof gpsAt === 'number') readIfd(gpsAt, ifds.gps);
  if (next) readIfd(next, ifds.ifd1);
  return ifds;
}

function decodeValue(tiff: Uint8Array, view: DataView, le: boolean, type: number, n: number, at: number): TiffValue {
  switch (type) {
    case 2: {
      let s = '';
      for (let i = 0; i < n; i++) {
        const c = tiff[at + i]!;
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      return s;
    }
    case 1:
    case 6:
    case 7:
      return tiff.slice(at, at + n);
    case 3:
    case 8: {
      const values: number[] = [];
      for (let i = 0; i < n; i++) values.push(type === 3 ? view.getUint16(at + 2 * i, le) : view.getInt16(at + 2 * i, le));
      return n === 1 ? values[0]! : values;
    }
    case 4:
    case 9: {
      const values: number[] = [];
      for (let i = 0; i < n; i++) values.push(type === 4 ? view.getUint32(at + 4 * i, le) : view.getInt32(at + 4 * i, le));
      return n === 1 ? values[0]! : values;
    }
    case 5:
    case 10: {
      const values: number[] = [];
      for (let i = 0; i < n; i++) {
        const num = type === 5 ? view.getUint32(at + 8 * i, le) : view.getInt32(at + 8 * i, le);
        const den = type === 5 ? view.getUint32(at + 8 * i + 4, le) : view.getInt32(at + 8 * i + 4, le);
        values.push(den === 0 ? NaN : num / den);
      }
      return n === 1 ? values[0]! : values;
    }
    default:
      return tiff.slice(at, at + n * (TYPE_SIZES[type] ?? 1));
  }
}

/** The JPEG thumbnail of IFD1 (JPEGInterchangeFormat/Length), when it lies inside the block. */
export function tiffJpegThumbnail(tiff: Uint8Array, ifds: TiffIfds): Uint8Array | null {
  const offset = ifds.ifd1.get(0x0201);
  const length = ifds.ifd1.get(0x0202);
  if (typeof offset !== 'number' || typeof length !== 'number' || length <= 0 || offset < 8 || offset + length > tiff.length) return null;
  const thumb = tiff.subarray(offset, offset + length);
  return thumb[0] === 0xff && thumb[1] === 0xd8 ? thumb : null;
}

/** EXIF UserComment decoded from its 8-byte character-code header (ASCII, UNICODE, JIS, undefined). */
export function decodeUserComment(value: TiffValue | undefined, littleEndian: boolean): string | undefined {
  if (!(value instanceof Uint8Array) || value.length <= 8) return typeof value === 'string' ? value : undefined;
  const header = String.fromCharCode(...value.subarray(0, 8)).replace(/\0+$/, '');
  const body = value.subarray(8);
  let text: string;
  if (header === 'UNICODE') {
    // UCS-2; the byte order is often the file's, but writers disagree: pick the one that yields text.
    const decode = (le: boolean) => {
      let s = '';
      for (let i = 0; i + 1 < body.length; i += 2) s += String.fromCharCode(le ? body[i]! | (body[i + 1]! << 8) : (body[i]! << 8) | body[i + 1]!);
      return s;
    };
    const a = decode(littleEndian);
    const b = decode(!littleEndian);
    const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '').length;
    text = printable(a) >= printable(b) ? a : b;
  } else {
    text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  }
  text = text.replace(/\0+$/, '').trim();
  return text === '' ? undefined : text;
}
