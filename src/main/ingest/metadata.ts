import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import exifr from 'exifr';
import type { AnalysisFlag, EvidenceMetadata, ExifSummary, ImageFormat } from '../../contract/evidence';
import { formatCameraTime } from '../../contract/time';
import { evidenceErrorFromSharp } from './imageErrors';
import { iccDescription } from './iccDescription';
import { estimateJpegQuality, readJpegHeader } from './jpegQuality';
import { formatFromExtension, hasExtensionMismatch } from './sniff';
import { findTrailingData, trailingDataWarning } from './trailingData';
import { EDITOR_PATTERN, GENERATOR_PATTERN } from '../analysis/software';
import { GENERATOR_PNG_KEYWORDS } from '../analysis/generatorTraces';

/** What libvips reads from the header alone: no pixel is decoded. */
export type ImageHeader = Metadata;

/**
 * Reads the image header. The pixel limit is lifted here on purpose: the caller needs the
 * declared dimensions to refuse an oversized image with a useful message before decoding.
 */
export async function readImageHeader(bytes: Buffer, format: ImageFormat, fileName: string): Promise<ImageHeader> {
  try {
    return await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw evidenceErrorFromSharp(err, bytes, format, fileName);
  }
}


const ORIENTATION_NAMES: Record<number, string> = {
  2: 'mirrored horizontally',
  3: 'rotated 180°',
  4: 'mirrored vertically',
  5: 'mirrored and rotated 90° counter-clockwise',
  6: 'rotated 90° clockwise',
  7: 'mirrored and rotated 90° clockwise',
  8: 'rotated 90° counter-clockwise',
};

type Tags = Record<string, unknown>;
interface ExifTags {
  ifd0: Tags;
  exif: Tags;
  gps: Tags;
  ifd1: Tags;
  problem?: string;
}

/** EXIF as exifr reads it from the raw TIFF block libvips extracted (works for every format). */
async function parseExif(raw: Buffer): Promise<ExifTags> {
  // JPEG/WebP blocks start with the APP1 "Exif\0\0" preamble, PNG eXIf chunks do not.
  const tiff = raw.toString('latin1', 0, 6) === 'Exif\0\0' ? raw.subarray(6) : raw;
  const empty: ExifTags = { ifd0: {}, exif: {}, gps: {}, ifd1: {} };
  try {
    const out = await exifr.parse(tiff, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: true,
      interop: false,
      makerNote: false,
      userComment: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      translateValues: false,
      // Keep dates as written: reviving them into Date objects would silently apply the local time zone.
      reviveValues: false,
      mergeOutput: false,
      // exifr's default silentErrors collects damage in `out.errors` instead of throwing.
    });
    if (!out) return empty;
    const errors = Array.isArray(out.errors) ? out.errors : [];
    return {
      ifd0: out.ifd0 ?? {},
      exif: out.exif ?? {},
      gps: out.gps ?? {},
      ifd1: out.ifd1 ?? {},
      problem: errors.length > 0 ? String(errors[0]?.message ?? errors[0]) : undefined,
    };
  } catch (err) {
    return { ...empty, problem: err instanceof Error ? err.message : String(err) };
  }
}

interface XmpFacts {
  creatorTool?: string;
  /** softwareAgent of each xmpMM:History event: every program that saved the file. */
  historyAgents: string[];
}

async function parseXmp(xmp: Buffer): Promise<XmpFacts> {
  try {
    const out = (await exifr.sidecar(xmp, {}, 'xmp')) as Record<string, Tags> | undefined;
    const creatorTool = text(out?.xmp?.CreatorTool);
    const history = out?.xmpMM?.History;
    const events = Array.isArray(history) ? history : history ? [history] : [];
    const historyAgents = events.map((e) => text((e as Tags)?.softwareAgent)).filter((s): s is string => !!s);
    return { creatorTool, historyAgents };
  } catch {
    return { historyAgents: [] }; // unparseable XMP: hasXmp still says it is there
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.replace(/\0+$/, '').trim();
  return trimmed === '' ? undefined : trimmed;
}

/** EXIF "YYYY:MM:DD HH:MM:SS" (+ optional offset tag) → "YYYY-MM-DDTHH:MM:SS[+hh:mm]", no time-zone guessing. */
function exifDate(value: unknown, offset: unknown): string | undefined {
  const raw = text(value);
  if (!raw) return undefined;
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(raw);
  if (!m) return raw;
  const zone = text(offset);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone && /^[+-]\d{2}:\d{2}$/.test(zone) ? zone : ''}`;
}

function summariseExif(tags: ExifTags, xmp: XmpFacts): ExifSummary {
  const { ifd0, exif, gps } = tags;
  const summary: ExifSummary = {
    make: text(ifd0.Make),
    model: text(ifd0.Model),
    software: text(ifd0.Software),
    dateTimeOriginal: exifDate(exif.DateTimeOriginal, exif.OffsetTimeOriginal),
    modifyDate: exifDate(ifd0.ModifyDate, exif.OffsetTime),
    lensModel: text(exif.LensModel),
    creatorTool: xmp.creatorTool,
  };
  const { latitude, longitude } = gps as { latitude?: unknown; longitude?: unknown };
  if (typeof latitude === 'number' && typeof longitude === 'number' && Number.isFinite(latitude) && Number.isFinite(longitude)) {
    summary.gps = { latitude, longitude };
  }
  // Drop absent fields so the JSON only lists what the file really says.
  for (const key of Object.keys(summary) as (keyof ExifSummary)[]) if (summary[key] === undefined) delete summary[key];
  return summary;
}

/** uchar → 8, ushort → 16, float → 32 ... */
function bitsPerSample(depth: string | undefined): number {
  switch (depth) {
    case 'char':
    case 'uchar':
      return 8;
    case 'short':
    case 'ushort':
      return 16;
    case 'int':
    case 'uint':
    case 'float':
      return 32;
    case 'double':
      return 64;
    default:
      return 8;
  }
}

function softwareFindings(sources: { label: string; value: string | undefined }[]): { warnings: string[]; flags: AnalysisFlag[] } {
  const warnings: string[] = [];
  const flags: AnalysisFlag[] = [];
  const seen = new Set<string>();
  for (const { label, value } of sources) {
    if (!value || seen.has(value)) continue;
    if (GENERATOR_PATTERN.test(value)) {
      warnings.push(`The ${label} names an AI image generator ("${value}").`);
      flags.push({ code: 'generator-software', detail: `${label}: ${value}` });
      seen.add(value);
    } else if (EDITOR_PATTERN.test(value)) {
      warnings.push(`The ${label} names editing software ("${value}"): the file was saved by that program after capture.`);
      flags.push({ code: 'editing-software', detail: `${label}: ${value}` });
      seen.add(value);
    }
  }
  return { warnings, flags };
}

export interface DescribeInput {
  /** Absolute path of the evidence file. */
  path: string;
  sha256: string;
  sizeBytes: number;
  /** Format detected from the content. */
  format: ImageFormat;
  bytes: Buffer;
  header: ImageHeader;
}

/** Everything ingest reports about one file, from its bytes and header, with plain-language warnings. */
export async function describeEvidence(input: DescribeInput): Promise<EvidenceMetadata> {
  const { header, format, bytes } = input;
  const fileName = path.basename(input.path);
  const warnings: string[] = [];

  const hasExif = (header.exif?.length ?? 0) > 0;
  const exifTags = hasExif ? await parseExif(header.exif!) : { ifd0: {}, exif: {}, gps: {}, ifd1: {} };
  const xmp = header.xmp ? await parseXmp(header.xmp) : { historyAgents: [] };
  const exif = summariseExif(exifTags, xmp);
  const jpegHeader = format === 'jpeg' ? readJpegHeader(bytes) : undefined;
  const hasEmbeddedThumbnail = jpegHeader
    ? jpegHeader.hasEmbeddedThumbnail
    : Number(exifTags.ifd1.ThumbnailLength ?? 0) > 0;

  const orientation = header.orientation && header.orientation >= 1 && header.orientation <= 8 ? header.orientation : 1;
  const swapsSides = orientation >= 5;
  const displayWidth = header.autoOrient?.width ?? (swapsSides ? header.height : header.width);
  const displayHeight = header.autoOrient?.height ?? (swapsSides ? header.width : header.height);
  const bitDepth = bitsPerSample(header.depth);
  const frames = header.pages ?? 1;
  const extensionMismatch = hasExtensionMismatch(fileName, format);

  if (!hasExif) {
    warnings.push(
      'No EXIF metadata. Camera originals normally carry it; messaging apps, social networks, screenshots and many editors remove it.',
    );
  } else if (exifTags.problem) {
    warnings.push(`The EXIF block is damaged and was only partly read (${exifTags.problem}).`);
  }
  const software = softwareFindings([
    { label: 'EXIF Software tag', value: exif.software },
    { label: 'XMP CreatorTool', value: exif.creatorTool },
    ...xmp.historyAgents.map((value) => ({ label: 'XMP edit history', value })),
  ]);
  warnings.push(...software.warnings);
  const analysisFlags = software.flags;
  const generatorKeys = (header.comments ?? []).map((c) => c.keyword).filter((k) => GENERATOR_PNG_KEYWORDS.has(k.toLowerCase()));
  if (generatorKeys.length > 0) {
    warnings.push(
      `PNG text field "${generatorKeys[0]}" is present, where AI image generators (Stable Diffusion front-ends) store the prompt and settings.`,
    );
    analysisFlags.push({ code: 'generator-parameters', detail: `PNG text field "${generatorKeys[0]}"` });
  }
  if (exif.modifyDate && exif.dateTimeOriginal && exif.modifyDate !== exif.dateTimeOriginal) {
    warnings.push(
      `The EXIF modify date, ${formatCameraTime(exif.modifyDate)}, differs from the date taken, ${formatCameraTime(exif.dateTimeOriginal)}: the file was saved again after capture.`,
    );
  }
  if (orientation !== 1) {
    warnings.push(
      `EXIF orientation is ${orientation} (${ORIENTATION_NAMES[orientation]}); it is applied before analysis, as a viewer shows the picture.`,
    );
  }
  if (frames > 1) {
    warnings.push(`The file holds ${frames} frames (animated or multi-page); only the first frame is analysed.`);
  }
  if (header.space === 'cmyk') {
    warnings.push('CMYK colour, as used for print (cameras record RGB): converted to sRGB for analysis.');
  }
  if (bitDepth > 8) {
    warnings.push(
      `${bitDepth} bits per sample (cameras save 8-bit JPEGs; more usually means RAW development or editing): reduced to 8 bits for analysis.`,
    );
  }
  if (extensionMismatch) {
    const claimed = formatFromExtension(fileName);
    const ext = path.extname(fileName);
    warnings.push(
      `The extension "${ext}" ${claimed ? `claims ${claimed.toUpperCase()}` : 'is not an image extension'}, but the content is ${format.toUpperCase()}.`,
    );
  }

  const trailing = findTrailingData(bytes, format);
  if (trailing) warnings.push(trailingDataWarning(trailing, format));

  const metadata: EvidenceMetadata = {
    path: input.path,
    fileName,
    sha256: input.sha256,
    sizeBytes: input.sizeBytes,
    format,
    extensionMismatch,
    width: header.width,
    height: header.height,
    displayWidth,
    displayHeight,
    orientation,
    colourSpace: header.space,
    channels: header.channels,
    bitDepth,
    hasAlpha: header.hasAlpha,
    frames,
    hasIccProfile: header.hasProfile || (header.icc?.length ?? 0) > 0,
    hasExif,
    hasXmp: (header.xmp?.length ?? 0) > 0,
    hasEmbeddedThumbnail,
    exif,
    warnings,
  };
  if (analysisFlags.length) metadata.analysisFlags = analysisFlags;
  const description = header.icc ? iccDescription(header.icc) : undefined;
  if (description) metadata.iccDescription = description;
  if (trailing) metadata.trailingData = trailing;
  const quality = jpegHeader ? estimateJpegQuality(jpegHeader) : undefined;
  if (quality) metadata.jpegQuality = quality;
  return metadata;
}
