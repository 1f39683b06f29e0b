import path from 'node:path';
import type { ImageFormat } from '../../contract/evidence';

/** How many leading bytes the sniffers look at; callers can pass just this much. */
export const SNIFF_BYTES = 512;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** BITMAPCOREHEADER, BITMAPINFOHEADER and its V2..V5 successors: the only DIB header sizes in use. */
const BMP_DIB_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

function ascii(head: Buffer, start: number, end: number): string {
  return head.subarray(start, end).toString('latin1');
}

/**
 * ISO-BMFF `ftyp` brands (major + compatible). HEIF and AVIF share the container, the brands
 * say which codec; MP4/MOV videos use the same box with other brands.
 */
function ftypBrands(head: Buffer): string[] | null {
  if (head.length < 12 || ascii(head, 4, 8) !== 'ftyp') return null;
  const boxSize = Math.min(head.readUInt32BE(0), head.length);
  const brands = [ascii(head, 8, 12)];
  // Bytes 12..16 are the minor version, compatible brands follow in 4-byte steps.
  for (let p = 16; p + 4 <= boxSize; p += 4) brands.push(ascii(head, p, p + 4));
  return brands;
}

function looksLikeBmp(head: Buffer): boolean {
  if (head.length < 18 || head[0] !== 0x42 || head[1] !== 0x4d) return false;
  // "BM" alone also starts plenty of text files: require zero reserved words and a known DIB header.
  return head.readUInt32LE(6) === 0 && BMP_DIB_HEADER_SIZES.has(head.readUInt32LE(14));
}

/** Image format from the file's first bytes (magic numbers), or null when it is not one we analyse. */
export function sniffFormat(head: Buffer): ImageFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (head.length >= 4) {
    const magic = ascii(head, 0, 4);
    // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
    if (magic === 'II*\0' || magic === 'MM\0*' || magic === 'II+\0' || magic === 'MM\0+') return 'tiff';
  }
  if (head.length >= 6 && (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a')) return 'gif';
  if (looksLikeBmp(head)) return 'bmp';
  const brands = ftypBrands(head);
  if (brands) {
    if (brands.some((b) => AVIF_BRANDS.has(b))) return 'avif';
    if (brands.some((b) => HEIF_BRANDS.has(b))) return 'heif';
  }
  return null;
}

const EXTENSION_FORMATS: Record<string, ImageFormat> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.jpe': 'jpeg',
  '.jfif': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.bmp': 'bmp',
  '.dib': 'bmp',
  '.gif': 'gif',
  '.heic': 'heif',
  '.heif': 'heif',
  '.hif': 'heif',
  '.avif': 'avif',
};

/** The format a file name claims (by extension, case-insensitive), or null when it claims none we know. */
export function formatFromExtension(fileName: string): ImageFormat | null {
  return EXTENSION_FORMATS[path.extname(fileName).toLowerCase()] ?? null;
}

/**
 * True when the name has an extension and it does not fit the detected content: a PNG saved as
 * `.jpg`, or a JPEG renamed `.dat`. Files without any extension claim nothing, so never mismatch.
 */
export function hasExtensionMismatch(fileName: string, detected: ImageFormat): boolean {
  if (path.extname(fileName) === '') return false;
  return formatFromExtension(fileName) !== detected;
}

function isMostlyText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let printable = 0;
  for (const byte of head) {
    if (byte === 0) return false;
    // Tab, LF, CR, printable ASCII, and any byte of a UTF-8 multi-byte sequence.
    if (byte === 9 || byte === 10 || byte === 13 || (byte >= 0x20 && byte !== 0x7f)) printable++;
  }
  return printable / head.length > 0.95;
}

/**
 * A short description of what a non-image file looks like ("a PDF document"), so the
 * NOT_AN_IMAGE message tells the investigator what they actually have. Null when unclear.
 */
export function describeNonImage(head: Buffer): string | null {
  const start = ascii(head, 0, Math.min(head.length, 16));
  if (start.startsWith('%PDF')) return 'a PDF document';
  if (start.startsWith('PK\x03\x04') || start.startsWith('PK\x05\x06')) {
    return 'a ZIP archive (or a ZIP-based document such as DOCX/XLSX)';
  }
  if (start.startsWith('Rar!')) return 'a RAR archive';
  if (start.startsWith('7z\xbc\xaf\x27\x1c')) return 'a 7-Zip archive';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'a gzip-compressed file';
  if (start.startsWith('8BPS')) return 'a Photoshop document (PSD); export the image to analyse it';
  if (head.length >= 12 && head.readUInt32BE(0) === 12 && ascii(head, 4, 8) === 'jP  ') return 'a JPEG 2000 image, which is not supported';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x00000100) return 'a Windows icon (ICO), which is not supported';
  if (ftypBrands(head)) return 'an MP4/QuickTime video or other ISO media file';
  if (start.startsWith('RIFF')) return `a RIFF ${ascii(head, 8, 12).trim() || 'media'} file (audio/video)`;
  if (start.startsWith('ID3')) return 'an MP3 audio file';
  if (start.startsWith('MZ')) return 'a Windows executable';
  if (start.startsWith('\x7fELF')) return 'a Linux executable';
  if (start.startsWith('SQLite format 3')) return 'an SQLite database';
  if (isMostlyText(head)) {
    const text = head.toString('utf8').trimStart().toLowerCase();
    if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) {
      return 'an SVG vector drawing, which has no camera pixels to analyse';
    }
    if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'an HTML page';
    return 'plain text';
  }
  return null;
}
