// The marker segments of a JPEG header, in file order, up to the first scan: what the table
// fingerprint, the thumbnail check, the metadata consistency check and the provenance readers
// look at. Tolerant of damage: stops at the first malformed segment and returns what it found.

export interface JpegSegment {
  /** Marker code without the 0xFF prefix (0xE1 = APP1, 0xDB = DQT...). */
  marker: number;
  /** Offset of the 0xFF of the marker in the file. */
  offset: number;
  /** Bytes after the 2-byte length field. */
  payload: Uint8Array;
}

export function jpegSegments(bytes: Uint8Array): JpegSegment[] {
  const out: JpegSegment[] = [];
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return out;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) break;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd9) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      p += 2;
      continue;
    }
    const length = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (length < 2 || p + 2 + length > bytes.length) break;
    out.push({ marker, offset: p, payload: bytes.subarray(p + 4, p + 2 + length) });
    if (marker === 0xda) break; // entropy-coded data follows
    p += 2 + length;
  }
  return out;
}

/** True when the segment's payload starts with the given ASCII signature (e.g. "Exif\0\0"). */
export function segmentStartsWith(segment: JpegSegment, signature: string): boolean {
  if (segment.payload.length < signature.length) return false;
  for (let i = 0; i < signature.length; i++) if (segment.payload[i] !== signature.charCodeAt(i)) return false;
  return true;
}

/** Frame header facts: size, process and per-component sampling, from the first SOF segment. */
export interface JpegFrameHeader {
  marker: number;
  precision: number;
  width: number;
  height: number;
  components: { id: number; h: number; v: number; tq: number }[];
}

export function jpegFrameHeader(segments: readonly JpegSegment[]): JpegFrameHeader | null {
  const sof = segments.find((s) => s.marker >= 0xc0 && s.marker <= 0xcf && s.marker !== 0xc4 && s.marker !== 0xc8 && s.marker !== 0xcc);
  if (!sof || sof.payload.length < 6) return null;
  const d = sof.payload;
  const count = d[5]!;
  const components: JpegFrameHeader['components'] = [];
  for (let c = 0; c < count && 6 + c * 3 + 2 < d.length; c++) {
    const o = 6 + c * 3;
    components.push({ id: d[o]!, h: d[o + 1]! >> 4, v: d[o + 1]! & 15, tq: d[o + 2]! & 15 });
  }
  return { marker: sof.marker, precision: d[0]!, height: (d[1]! << 8) | d[2]!, width: (d[3]! << 8) | d[4]!, components };
}
