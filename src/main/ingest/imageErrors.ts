import type { ImageFormat } from '../../contract/evidence';
import { EvidenceError } from '../errors';

/**
 * Turns libvips/sharp failures into EvidenceErrors a user can act on. libvips messages are
 * terse and sometimes ambiguous (a truncated PNG and a damaged one both say "libpng read
 * error"), so the bytes themselves are checked for a missing end marker as well.
 */

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} MP`;
}

/** Refusal for an image whose header declares more pixels than the configured limit. */
export function tooManyPixelsError(fileName: string, width: number, height: number, maxPixels: number): EvidenceError {
  return new EvidenceError(
    'TOO_MANY_PIXELS',
    `${fileName} declares ${width} × ${height} pixels (${megapixels(width * height)}), more than the limit of ` +
      `${maxPixels} pixels (${megapixels(maxPixels)}). The limit protects against decompression bombs; if this ` +
      `image is genuinely that large, raise the maximum pixels setting (maxPixels) above ${width * height} and analyse it again.`,
  );
}

/** True when the file visibly stops before its format's end marker. */
export function appearsTruncated(bytes: Buffer, format: ImageFormat | null): boolean {
  switch (format) {
    case 'jpeg': {
      // Entropy-coded data stuffs every 0xFF, so a real EOI marker must follow the last SOS.
      // (Data appended after EOI, like phone trailers, does not count as truncation.)
      const lastScan = bytes.lastIndexOf(Buffer.from([0xff, 0xda]));
      return lastScan < 0 || bytes.indexOf(Buffer.from([0xff, 0xd9]), lastScan) < 0;
    }
    case 'png':
      return !bytes.subarray(Math.max(0, bytes.length - 64)).includes(Buffer.from('IEND', 'latin1'));
    case 'gif':
      return bytes[bytes.length - 1] !== 0x3b; // GIF trailer ';'
    case 'webp':
      return bytes.length >= 8 && bytes.readUInt32LE(4) + 8 > bytes.length;
    default:
      return false;
  }
}

const TRUNCATION_MESSAGE = /premature end|unexpected end|end of (file|data|stream)|truncated|not enough (data|bytes)|short read/i;
const UNSUPPORTED_MESSAGE = /unsupported image format|no decoding plugin|unsupported (codec|compression)|not supported|unable to load plugin|no loader/i;

function firstLines(message: string): string {
  // libvips repeats each warning several times across lines; keep the distinct ones.
  const lines = [...new Set(message.split('\n').map((l) => l.trim()).filter(Boolean))];
  return lines.slice(0, 3).join('; ');
}

/** Maps an error thrown by sharp while reading `fileName` to the EvidenceError code that explains it. */
export function evidenceErrorFromSharp(err: unknown, bytes: Buffer, format: ImageFormat | null, fileName: string): EvidenceError {
  if (err instanceof EvidenceError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const detail = firstLines(raw);
  const kind = format ? format.toUpperCase() : 'image';
  const aKind = `${/^[AEIOU]/i.test(kind) ? 'an' : 'a'} ${kind}`;
  if (/exceeds pixel limit/i.test(raw)) {
    return new EvidenceError(
      'TOO_MANY_PIXELS',
      `${fileName} has more pixels than the configured limit; raise the maximum pixels setting (maxPixels) if it is genuinely that large.`,
      { cause: err },
    );
  }
  if (TRUNCATION_MESSAGE.test(raw) || appearsTruncated(bytes, format)) {
    return new EvidenceError(
      'TRUNCATED',
      `${fileName} is truncated: the ${kind} data ends before the picture is complete (${detail}). ` +
        `It is probably an incomplete copy or download; acquire the file again from its source.`,
      { cause: err },
    );
  }
  if (UNSUPPORTED_MESSAGE.test(raw)) {
    const hint = format === 'bmp' || format === 'heif' ? ` Convert a copy to PNG with another tool to analyse it, and keep the original as evidence.` : '';
    return new EvidenceError(
      'UNSUPPORTED_FORMAT',
      `${fileName} is ${aKind} file this build cannot decode (${detail}).${hint}`,
      { cause: err },
    );
  }
  return new EvidenceError(
    'CORRUPT',
    `${fileName} looks like ${aKind} file but its data is damaged and cannot be decoded (${detail}).`,
    { cause: err },
  );
}
