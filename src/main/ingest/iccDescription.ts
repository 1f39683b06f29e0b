/**
 * The human-readable name of an ICC profile ("sRGB IEC61966-2.1", "Display P3", ...), read from
 * its 'desc' tag. The profile name hints at the device or software that produced the file.
 * Returns undefined for anything malformed: a missing name is not worth failing ingest over.
 */
export function iccDescription(icc: Buffer): string | undefined {
  if (icc.length < 132) return undefined;
  const tagCount = icc.readUInt32BE(128);
  for (let i = 0; i < tagCount; i++) {
    const entry = 132 + i * 12;
    if (entry + 12 > icc.length) return undefined;
    if (icc.toString('latin1', entry, entry + 4) !== 'desc') continue;
    const offset = icc.readUInt32BE(entry + 4);
    const size = icc.readUInt32BE(entry + 8);
    if (offset + size > icc.length || size < 12) return undefined;
    return readTextType(icc.subarray(offset, offset + size));
  }
  return undefined;
}

function clean(text: string): string | undefined {
  const trimmed = text.replace(/\0+$/, '').trim();
  return trimmed === '' ? undefined : trimmed;
}

function readTextType(tag: Buffer): string | undefined {
  const type = tag.toString('latin1', 0, 4);
  if (type === 'desc') {
    // ICC v2 textDescriptionType: uint32 ASCII length (with NUL) then the ASCII text.
    const length = tag.readUInt32BE(8);
    if (12 + length > tag.length) return undefined;
    return clean(tag.toString('latin1', 12, 12 + length));
  }
  if (type === 'mluc') {
    // ICC v4 multiLocalizedUnicodeType: records of (language, country, length, offset); take the first.
    if (tag.length < 28 || tag.readUInt32BE(8) === 0) return undefined;
    const length = tag.readUInt32BE(20);
    const offset = tag.readUInt32BE(24);
    if (offset + length > tag.length) return undefined;
    const utf16be = tag.subarray(offset, offset + length - (length % 2));
    // Node decodes UTF-16 little-endian only: swap byte pairs first.
    return clean(Buffer.from(utf16be).swap16().toString('utf16le'));
  }
  return undefined;
}
