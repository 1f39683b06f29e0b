// Quantisation-table fingerprint: which encoder (and at which setting) wrote the DQT tables of a
// JPEG. Every program chooses its own tables, so the tables say which software saved the file
// last, whatever the metadata claims.
//
// Two sources of known tables:
// 1. Encoder families computed here: the libjpeg / libjpeg-turbo / mozjpeg base tables scaled
//    with libjpeg's quality formula, at every quality 1..100. Base tables as published in
//    mozjpeg's jcparam.c (github.com/mozilla/mozjpeg, std_luminance_quant_tbl and
//    std_chrominance_quant_tbl, 9 sets; set 0 is ITU-T T.81 Annex K, set 3 is mozjpeg's default,
//    the table N. Robidoux proposed for ImageMagick). libvips/sharp select these with
//    `quantisationTable` 0..8; `mozjpeg: true` selects set 3. Scaling: jpeg_quality_scaling() and
//    jpeg_add_quant_table() of the same file (scale = 5000/q below 50, 200 − 2q above; entries
//    (base × scale + 50) / 100 clamped to 1..255 for baseline).
// 2. ExifTool's JPEGDigest database (Image::ExifTool::JPEGDigest, P. Harvey with J. Duttke and
//    F. Buchinger): MD5 digests of the DQT segments of ~2,300 known software and camera settings
//    (Photoshop "Save As" and "Save for Web" levels, Lightroom, Paint Shop Pro, Nikon Capture,
//    Apple QuickTime, many Canon, Nikon, Pentax, Panasonic and Sony cameras). The table is read as
//    text from the ExifTool copy vendored by the exiftool-vendored.pl package (never executed
//    here); the digest is computed the same way ExifTool computes its JPEGDigest tag.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AnalysisDescription, QuantTableMatch, QuantTablesSummary } from '../../contract/analyses';
import { ZIGZAG } from './dct';
import { jpegFrameHeader, jpegSegments } from './jpegSegments';
import { cameraMaker, EDITOR_PATTERN } from './software';

export const QUANT_TABLES_ANALYSIS: AnalysisDescription = {
  id: 'quantTables',
  title: 'Quantisation-table fingerprint',
  version: 'quantTables/1',
  shows:
    'Which encoder wrote the JPEG tables, and at which setting: tables of editing software in a file that claims to come straight from a camera mean it was saved again by that software.',
  doesNotProve:
    'Matching tables do not prove authenticity: standard libjpeg tables are written by many cameras, phones, apps and web services alike, and a forger can copy any table; an unknown table proves nothing either.',
  parameters: {},
  references: [
    'H. Farid, "Digital image ballistics from JPEG quantization", TR2006-583, Dartmouth College, 2006',
    'E. Kee, M. K. Johnson, H. Farid, "Digital image authentication from JPEG headers", IEEE TIFS 6(3), 2011',
    'ExifTool JPEGDigest database (Image::ExifTool::JPEGDigest)',
  ],
  appliesTo: 'JPEG files',
};

/** One base table set of libjpeg's family, with where its values were published. */
interface TableFamily {
  source: string;
  luminance: readonly number[];
  chrominance: readonly number[];
}

// prettier-ignore
const ANNEX_K_LUMINANCE = [16,11,10,16,24,40,51,61,12,12,14,19,26,58,60,55,14,13,16,24,40,57,69,56,14,17,22,29,51,87,80,62,18,22,37,56,68,109,103,77,24,35,55,64,81,104,113,92,49,64,78,87,103,121,120,101,72,92,95,98,112,100,103,99];
// prettier-ignore
const ANNEX_K_CHROMINANCE = [17,18,24,47,99,99,99,99,18,21,26,66,99,99,99,99,24,26,56,99,99,99,99,99,47,66,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99];
const FLAT = new Array<number>(64).fill(16);
// prettier-ignore
const ROBIDOUX = [16,16,16,18,25,37,56,85,16,17,20,27,34,40,53,75,16,20,24,31,43,62,91,135,18,27,31,40,53,74,106,156,25,34,43,53,69,94,131,189,37,40,62,74,94,124,169,238,56,53,91,106,131,169,226,311,85,75,135,156,189,238,311,418];
// prettier-ignore
const KLEIN = [10,12,14,19,26,38,57,86,12,18,21,28,35,41,54,76,14,21,25,32,44,63,92,136,19,28,32,41,54,75,107,157,26,35,44,54,70,95,132,190,38,41,63,75,95,125,170,239,57,54,92,107,132,170,227,312,86,76,136,157,190,239,312,419];
// prettier-ignore
const WATSON = [7,8,10,14,23,44,95,241,8,8,11,15,25,47,102,255,10,11,13,19,31,58,127,255,14,15,19,27,44,83,181,255,23,25,31,44,72,136,255,255,44,47,58,83,136,255,255,255,95,102,127,181,255,255,255,255,241,255,255,255,255,255,255,255];
// prettier-ignore
const AHUMADA = [15,11,11,12,15,19,25,32,11,13,10,10,12,15,19,24,11,10,14,14,16,18,22,27,12,10,14,18,21,24,28,33,15,12,16,21,26,31,36,42,19,15,18,24,31,38,45,53,25,19,22,28,36,45,55,65,32,24,27,33,42,53,65,77];
// prettier-ignore
const PETERSON = [14,10,11,14,19,25,34,45,10,11,11,12,15,20,26,33,11,11,15,18,21,25,31,38,14,12,18,24,28,33,39,47,19,15,21,28,36,43,51,59,25,20,25,33,43,54,64,74,34,26,31,39,51,64,77,91,45,33,38,47,59,74,91,108];

/** mozjpeg jcparam.c table sets 0..8 (luminance, chrominance), natural order. */
export const TABLE_FAMILIES: readonly TableFamily[] = [
  { source: 'IJG libjpeg (standard Annex K tables)', luminance: ANNEX_K_LUMINANCE, chrominance: ANNEX_K_CHROMINANCE },
  { source: 'libjpeg-turbo/mozjpeg table 1 (flat)', luminance: FLAT, chrominance: FLAT },
  {
    source: 'libjpeg-turbo/mozjpeg table 2 (MSSIM-tuned, Kornblum/Mozilla)',
    // prettier-ignore
    luminance: [12,17,20,21,30,34,56,63,18,20,20,26,28,51,61,55,19,20,21,26,33,58,69,55,26,26,26,30,46,87,86,66,31,33,36,40,46,96,100,73,40,35,46,62,81,100,111,91,46,66,76,86,102,121,120,101,68,90,90,96,113,102,105,103],
    // prettier-ignore
    chrominance: [8,12,15,15,86,96,96,98,13,13,15,26,90,96,99,98,12,15,18,96,99,99,99,99,17,16,90,96,99,99,99,99,96,96,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99,99],
  },
  { source: 'mozjpeg default (table 3, N. Robidoux for ImageMagick)', luminance: ROBIDOUX, chrominance: ROBIDOUX },
  {
    source: 'libjpeg-turbo/mozjpeg table 4 (PSNR-HVS-M-tuned)',
    // prettier-ignore
    luminance: [9,10,12,14,27,32,51,62,11,12,14,19,27,44,59,73,12,14,18,25,42,59,79,78,17,18,25,42,61,92,87,92,23,28,42,75,79,112,112,99,40,42,59,84,88,124,132,111,42,64,78,95,105,126,125,99,70,75,100,102,116,100,107,98],
    // prettier-ignore
    chrominance: [9,10,17,19,62,89,91,97,12,13,18,29,84,91,88,98,14,19,29,93,95,95,98,97,20,26,84,88,95,95,98,94,26,86,91,93,97,99,98,99,99,100,98,99,99,99,99,99,99,99,99,99,99,99,99,99,97,97,99,99,99,99,97,99],
  },
  { source: 'libjpeg-turbo/mozjpeg table 5 (Klein, Silverstein, Carney 1992)', luminance: KLEIN, chrominance: KLEIN },
  { source: 'libjpeg-turbo/mozjpeg table 6 (Watson, Taylor, Borthwick 1997)', luminance: WATSON, chrominance: WATSON },
  { source: 'libjpeg-turbo/mozjpeg table 7 (Ahumada, Watson, Peterson 1993)', luminance: AHUMADA, chrominance: AHUMADA },
  { source: 'libjpeg-turbo/mozjpeg table 8 (Peterson, Ahumada, Watson 1993)', luminance: PETERSON, chrominance: PETERSON },
];

/** libjpeg's jpeg_quality_scaling() followed by jpeg_add_quant_table(). */
export function scaleTable(base: readonly number[], quality: number, forceBaseline = true): number[] {
  const q = Math.min(100, Math.max(1, Math.trunc(quality)));
  const scale = q < 50 ? Math.trunc(5000 / q) : 200 - q * 2;
  const max = forceBaseline ? 255 : 32767;
  return base.map((v) => Math.min(max, Math.max(1, Math.trunc((v * scale + 50) / 100))));
}

export interface DqtTable {
  id: number;
  precision: 8 | 16;
  /** Natural (row-major) order. */
  values: number[];
}

export interface QuantTablesDetail {
  summary: QuantTablesSummary;
  /** Tables in force for each frame component (luma first), natural order. */
  componentTables: DqtTable[];
  /** Subsampling as ExifTool writes it ("221111" = 4:2:0). */
  subsampling: string;
  /** Distance to the scaled IJG tables at every quality 1..100, for a chart. */
  ijgCurve: { quality: number; distance: number }[];
}

/** Digest → description, as in ExifTool's JPEGDigest print conversion. */
export type DigestDatabase = ReadonlyMap<string, string>;

let cachedDatabase: DigestDatabase | null | undefined;

/** Where the vendored ExifTool keeps JPEGDigest.pm, or null when the package is not installed. */
export function exifToolDigestModulePath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('exiftool-vendored.pl/package.json');
    return join(dirname(pkg), 'bin', 'lib', 'Image', 'ExifTool', 'JPEGDigest.pm');
  } catch {
    // Not installed (a build without the optional Perl package): the fingerprint says the database is unavailable.
    return null;
  }
}

/** Parses the `'digest' => 'description',` lines of JPEGDigest.pm (text only, never evaluated). */
export function parseDigestDatabase(perlSource: string): DigestDatabase {
  const map = new Map<string, string>();
  const line = /^\s*'([0-9a-f]{32}(?::[0-9a-f]+)?)'\s*=>\s*'((?:[^'\\]|\\.)*)'/gm;
  for (let m = line.exec(perlSource); m; m = line.exec(perlSource)) map.set(m[1]!, m[2]!.replace(/\\(.)/g, '$1'));
  return map;
}

/** ExifTool's digest database, loaded once; null (and the fingerprint says so) when unavailable. */
export function loadDigestDatabase(): DigestDatabase | null {
  if (cachedDatabase !== undefined) return cachedDatabase;
  const path = exifToolDigestModulePath();
  try {
    cachedDatabase = path ? parseDigestDatabase(readFileSync(path, 'latin1')) : null;
    if (cachedDatabase && cachedDatabase.size === 0) cachedDatabase = null;
  } catch {
    // Unreadable: the fingerprint works without it and says so in its parameters.
    cachedDatabase = null;
  }
  return cachedDatabase;
}

/**
 * ExifTool's JPEGDigest: MD5 of the DQT segment payloads (the last segment starting with each
 * table slot 0..3, in slot order, joined by a zero byte), with ":<subsampling>" appended unless
 * the bare digest is a known entry. ExifTool computes it for 3-component images only; here it is
 * computed for any, with the subsampling of every component.
 */
export function jpegDigest(bytes: Uint8Array, database: DigestDatabase | null): { digest: string; subsampling: string } {
  const segments = jpegSegments(bytes);
  const bySlot: (Uint8Array | undefined)[] = [];
  for (const s of segments) if (s.marker === 0xdb && s.payload.length > 0) {
    const slot = s.payload[0]! & 15;
    if (slot < 4) bySlot[slot] = s.payload;
  }
  const parts: Uint8Array[] = [];
  for (const p of bySlot) {
    if (!p) continue;
    if (parts.length > 0) parts.push(new Uint8Array([0]));
    parts.push(p);
  }
  const md5 = createHash('md5');
  for (const p of parts) md5.update(p);
  const bare = md5.digest('hex');
  const frame = jpegFrameHeader(segments);
  const subsampling = frame ? frame.components.map((c) => ((c.h << 4) | c.v).toString(16).padStart(2, '0')).join('') : '';
  const digest = database?.has(bare) || !subsampling ? bare : `${bare}:${subsampling}`;
  return { digest, subsampling };
}

function readDqt(bytes: Uint8Array): { slots: (DqtTable | undefined)[]; count: number } {
  const slots: (DqtTable | undefined)[] = [];
  let count = 0;
  for (const s of jpegSegments(bytes)) {
    if (s.marker !== 0xdb) continue;
    const d = s.payload;
    let p = 0;
    while (p < d.length) {
      const precision = d[p]! >> 4 === 0 ? 8 : 16;
      const id = d[p]! & 15;
      const size = precision === 8 ? 64 : 128;
      if (id > 3 || p + 1 + size > d.length) break;
      const values = new Array<number>(64);
      for (let k = 0; k < 64; k++) values[ZIGZAG[k]!] = precision === 8 ? d[p + 1 + k]! : (d[p + 1 + 2 * k]! << 8) | d[p + 2 + 2 * k]!;
      slots[id] = { id, precision, values };
      count++;
      p += 1 + size;
    }
  }
  return { slots, count };
}

const equal = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function logDistance(actual: readonly number[], expected: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 64; i++) sum += Math.abs(Math.log(actual[i]! / expected[i]!));
  return sum / 64;
}

/** Software (not camera firmware) named by a digest description. */
const DIGEST_SOFTWARE = new RegExp(
  `${EDITOR_PATTERN.source}|quicktime|independent jpeg group|library|gdi\\+|save for web|photo maker`,
  'i',
);

export interface QuantTablesOptions {
  /** ExifTool's digest database; defaults to the vendored copy (null: do without it). */
  database?: DigestDatabase | null;
  /** What the metadata claims, to check the tables against it. */
  claimed?: { make?: string; software?: string };
}

/** The fingerprint of a JPEG's quantisation tables. Not a JPEG (no DQT): 'not-applicable'. */
export function analyzeQuantTables(bytes: Uint8Array, options: QuantTablesOptions = {}): QuantTablesDetail {
  const database = options.database === undefined ? loadDigestDatabase() : options.database;
  const base = {
    analysis: 'quantTables' as const,
    version: QUANT_TABLES_ANALYSIS.version,
    parameters: { digestDatabase: database ? `ExifTool JPEGDigest (${database.size} entries)` : 'unavailable' },
  };
  const { slots, count } = readDqt(bytes);
  const frame = jpegFrameHeader(jpegSegments(bytes));
  const componentTables = (frame?.components ?? [{ tq: 0 }])
    .map((c) => slots[c.tq])
    .filter((t): t is DqtTable => t !== undefined);
  if (componentTables.length === 0) {
    return {
      summary: {
        ...base,
        status: 'not-applicable',
        flagged: false,
        reason: 'No JPEG quantisation tables: the file is not a JPEG (or its header is damaged).',
        fingerprint: 'none',
        matches: [],
        nearestIjgQuality: 0,
        ijgDistance: 0,
        digest: '',
        tableCount: 0,
      },
      componentTables: [],
      subsampling: '',
      ijgCurve: [],
    };
  }
  const luminance = componentTables[0]!;
  const chrominance = componentTables[1];
  const forceBaseline = luminance.precision === 8;

  const matches: QuantTableMatch[] = [];
  const allOnes = componentTables.every((t) => t.values.every((v) => v === 1));
  for (const family of TABLE_FAMILIES) {
    for (let q = 100; q >= 1; q--) {
      if (!equal(luminance.values, scaleTable(family.luminance, q, forceBaseline))) continue;
      if (chrominance && !equal(chrominance.values, scaleTable(family.chrominance, q, chrominance.precision === 8))) continue;
      // Separate luma/chroma slots are part of the family's signature: libjpeg never shares one.
      if (chrominance && frame && frame.components[0]!.tq === frame.components[1]!.tq) continue;
      matches.push({ source: family.source, setting: `quality ${q}`, kind: 'exact' });
      break; // the highest quality that reproduces the tables (several qualities can coincide)
    }
    if (allOnes) break; // quality 100 of every family: one entry says it
  }

  const ijgCurve: { quality: number; distance: number }[] = [];
  let nearest = { quality: 1, distance: Infinity };
  for (let q = 1; q <= 100; q++) {
    const distance = logDistance(luminance.values, scaleTable(ANNEX_K_LUMINANCE, q, forceBaseline));
    ijgCurve.push({ quality: q, distance });
    if (distance <= nearest.distance) nearest = { quality: q, distance };
  }

  const { digest, subsampling } = jpegDigest(bytes, database);
  const known = database?.get(digest) ?? database?.get(digest.split(':')[0]!);
  const standard = matches.length > 0 || allOnes;
  if (known) {
    const [source, ...rest] = known.split(', ');
    // Exact family matches lead: the digest of standard tables also depends on how the writer
    // split them into DQT segments, so it names one of the many programs that use them.
    matches.push({ source: source!, setting: rest.join(', ') || undefined, kind: 'digest' });
  }

  let fingerprint: string;
  if (allOnes) fingerprint = 'quality 100 (every divisor 1): any libjpeg-family encoder';
  else if (matches.length > 0) fingerprint = matches[0]!.setting ? `${matches[0]!.source}, ${matches[0]!.setting}` : matches[0]!.source;
  else fingerprint = 'unknown';
  const label = (m: QuantTableMatch) => (m.setting ? `${m.source}, ${m.setting}` : m.source);

  // Flags only for tables specific to one program or device: standard tables are everyone's.
  const claimedMaker = cameraMaker(options.claimed?.make);
  const digestMatch = matches.find((m) => m.kind === 'digest');
  const digestIsSoftware = digestMatch !== undefined && DIGEST_SOFTWARE.test(digestMatch.source);
  const digestMaker = digestMatch && !digestIsSoftware ? cameraMaker(digestMatch.source) : undefined;
  let flagged = false;
  let reason: string;
  if (digestMatch && !standard && digestIsSoftware) {
    flagged = true;
    reason = `The tables are those of ${label(digestMatch)}: the file was last saved by that software${claimedMaker ? `, although its EXIF names a ${options.claimed!.make} camera` : ''}.`;
  } else if (digestMatch && !standard && claimedMaker && digestMaker && digestMaker !== claimedMaker) {
    flagged = true;
    reason = `The tables are those of a ${label(digestMatch)}, but the EXIF Make is ${options.claimed!.make}: the tables and the metadata disagree about the camera.`;
  } else if (claimedMaker && matches[0]?.kind === 'exact' && matches[0].source !== TABLE_FAMILIES[0]!.source) {
    // libjpeg-turbo/mozjpeg's alternative table sets are chosen by software (web optimisers,
    // ImageMagick, sharp/libvips); camera firmware writes the standard tables or its own.
    flagged = true;
    reason = `The tables are ${fingerprint}, written by image software (web optimisers, ImageMagick, sharp), not by cameras, although the EXIF names a ${options.claimed!.make} camera: the file was re-encoded.`;
  } else if (standard) {
    reason = `The tables match ${fingerprint}${matches.length > 1 ? ` (also listed: ${matches.slice(1).map(label).join('; ')})` : ''}. Standard tables are written by many cameras and most software, so they do not identify one program.`;
  } else if (digestMatch) {
    reason = `The tables are those of ${label(digestMatch)}${claimedMaker ? `, consistent with the EXIF Make ${options.claimed!.make}` : ''}.`;
  } else {
    reason = `Custom tables (nearest libjpeg quality ${nearest.quality}, distance ${nearest.distance.toFixed(3)}), as camera firmware and some editors write; no known table set matches${database ? '' : ' (ExifTool digest database unavailable)'}.`;
  }

  return {
    summary: {
      ...base,
      status: 'ok',
      flagged,
      reason,
      fingerprint,
      matches,
      nearestIjgQuality: nearest.quality,
      ijgDistance: nearest.distance,
      digest,
      tableCount: count,
    },
    componentTables,
    subsampling,
    ijgCurve,
  };
}
