// Bytes after the end of the image. Viewers stop at the image's end marker and show nothing of
// what follows, so a file can be a valid picture and, from that offset on, a ZIP archive, a
// script or another picture (a polyglot). Some cameras append their own data (phone "motion
// photo" videos, maker trailers); either way the examiner should know it is there and look.
import type { ImageFormat } from '../../contract/evidence';
import { describeNonImage, sniffFormat } from './sniff';

export interface TrailingData {
  /** Where the image ends: the first byte after it. */
  offset: number;
  bytes: number;
  /** What the trailing bytes look like (a ZIP archive, an MP4 video, a JPEG image, ...), when recognisable. */
  looksLike?: string;
}

/** Offset just past a JPEG's EOI: markers are walked segment by segment, entropy-coded data scanned for its markers. */
function jpegEnd(b: Buffer): number | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) return null;
    let marker = b[i + 1];
    // Fill bytes: any number of 0xFF may precede a marker.
    while (marker === 0xff && i + 2 < b.length) marker = b[++i + 1];
    i += 2;
    if (marker === 0xd9) return i; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no length
    if (i + 1 >= b.length) return null;
    const length = b.readUInt16BE(i);
    if (length < 2) return null;
    i += length;
    if (marker === 0xda) {
      // Entropy-coded data up to the next marker that is not a stuffed byte (FF00) or a restart.
      while (i + 1 < b.length && !(b[i] === 0xff && b[i + 1] !== 0x00 && !(b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7))) i++;
      if (i + 1 >= b.length) return null;
    }
  }
  return null;
}

/** Offset just past a PNG's IEND chunk (length, type, data, CRC). */
function pngEnd(b: Buffer): number | null {
  let i = 8;
  while (i + 12 <= b.length) {
    const length = b.readUInt32BE(i);
    const type = b.toString('latin1', i + 4, i + 8);
    i += 12 + length;
    if (type === 'IEND') return i <= b.length ? i : null;
  }
  return null;
}

/** Offset just past a WebP's RIFF container (its size field, padded to even). */
function webpEnd(b: Buffer): number | null {
  if (b.length < 12) return null;
  const size = b.readUInt32LE(4) + 8;
  return size + (size % 2) <= b.length ? size + (size % 2) : null;
}

/** Offset just past a GIF's trailer: blocks are walked (image descriptors, extensions, sub-blocks). */
function gifEnd(b: Buffer): number | null {
  if (b.length < 13) return null;
  let i = 13;
  const flags = b[10];
  if (flags & 0x80) i += 3 * (1 << ((flags & 0x07) + 1));
  const skipSubBlocks = () => {
    while (i < b.length && b[i] !== 0) i += b[i] + 1;
    i += 1;
  };
  while (i < b.length) {
    const block = b[i];
    if (block === 0x3b) return i + 1;
    if (block === 0x21) {
      i += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      if (i + 10 > b.length) return null;
      const local = b[i + 9];
      i += 10;
      if (local & 0x80) i += 3 * (1 << ((local & 0x07) + 1));
      i += 1; // LZW minimum code size
      skipSubBlocks();
    } else return null;
  }
  return null;
}

/** Where the image in `bytes` ends, for the formats whose end can be found; null when unknown. */
export function imageEnd(bytes: Buffer, format: ImageFormat): number | null {
  switch (format) {
    case 'jpeg':
      return jpegEnd(bytes);
    case 'png':
      return pngEnd(bytes);
    case 'webp':
      return webpEnd(bytes);
    case 'gif':
      return gifEnd(bytes);
    default:
      return null; // TIFF, BMP, HEIF, AVIF: offsets point anywhere in the file; no single end to check
  }
}

/** Padding some writers leave (zeros, a newline, a final 0xFF) is not data. */
function isPadding(tail: Buffer): boolean {
  return tail.length <= 16 && tail.every((c) => c === 0x00 || c === 0x0a || c === 0x0d || c === 0xff || c === 0x20);
}

/** The bytes after the image, or null when there are none (or the format's end cannot be found). */
export function findTrailingData(bytes: Buffer, format: ImageFormat): TrailingData | null {
  const end = imageEnd(bytes, format);
  if (end === null || end >= bytes.length) return null;
  const tail = bytes.subarray(end);
  if (isPadding(tail)) return null;
  const head = tail.subarray(0, 4096);
  const image = sniffFormat(head);
  const looksLike = image ? `a ${image.toUpperCase()} image` : (describeNonImage(head) ?? undefined);
  return { offset: end, bytes: tail.length, ...(looksLike ? { looksLike } : {}) };
}

/** The warning ingest records for trailing data. */
export function trailingDataWarning(t: TrailingData, format: ImageFormat): string {
  return (
    `${t.bytes} bytes follow the end of the ${format.toUpperCase()} image (from offset ${t.offset})${t.looksLike ? `, and they look like ${t.looksLike}` : ''}. ` +
    'Viewers ignore them: the file may carry another file (a polyglot) or data a device appended. Extract and examine them separately.'
  );
}
