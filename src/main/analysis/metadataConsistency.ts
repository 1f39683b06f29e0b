// Metadata consistency: do the file's own statements about itself agree? Dates (taken,
// digitised, modified, GPS clock, XMP, file system), the chain of programs that touched it,
// GPS and maker-note presence. Each disagreement is a finding with a severity; warnings flag the
// file. Parsed with exifr (fast, in process); ExifTool's dump, when the inspector has one, adds its
// warnings and maker-note count.

import exifr from 'exifr';
import type { AnalysisDescription, ConsistencyFinding, MetadataConsistencySummary } from '../../contract/analyses';
import type { ExifToolDump } from './exiftool';
import { jpegSegments, segmentStartsWith } from './jpegSegments';
import { cameraMaker, classifySoftware } from './software';

export const METADATA_CONSISTENCY_ANALYSIS: AnalysisDescription = {
  id: 'metadataConsistency',
  title: 'Metadata consistency',
  version: 'metadataConsistency/1',
  shows:
    'Where the file’s metadata contradicts itself or names editing software: a modify date after capture, dates in an impossible order, an editor in the software chain, maker notes removed from a camera file.',
  doesNotProve:
    'Metadata is easy to write and to strip: consistent metadata does not prove authenticity, and missing metadata (most messaging apps and websites remove it) does not prove editing.',
  parameters: { clockToleranceSeconds: 120 },
  references: [
    'CIPA DC-008 (Exif 2.32) and Adobe XMP Specification Part 2 (date and history semantics)',
    'P. Harvey, ExifTool (tag reference and maker-note warnings)',
  ],
  appliesTo: 'files with metadata',
};

export interface MetadataConsistencyOptions {
  /** ExifTool's dump of the same bytes, when available (adds its warnings and maker-note tags). */
  exiftool?: ExifToolDump;
  /** File-system modification time of the evidence (ISO-8601), compared with the capture date. */
  fileModifiedAt?: string;
  /** "Now" for future-date checks (tests pin it). */
  now?: Date;
}

export interface MetadataConsistencyDetail {
  summary: MetadataConsistencySummary;
  /** XMP edit history events (action, when, software), oldest first. */
  history: { action?: string; when?: string; softwareAgent?: string; parameters?: string }[];
}

type Tags = Record<string, unknown>;

function text(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\0+$/, '').trim();
  return t === '' ? undefined : t;
}

/** A date as written, and its instant when the zone is known (ms since epoch) or its naive value. */
interface ParsedDate {
  raw: string;
  /** Milliseconds of the wall-clock reading taken as UTC. */
  naive: number;
  /** Offset in minutes east of UTC when the source states one. */
  offset?: number;
}

function parseDate(value: unknown, offsetTag?: unknown): ParsedDate | undefined {
  const raw = text(value);
  if (!raw) return undefined;
  const m = /^(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(raw);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  if (Number(y) < 1900 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  const naive = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const zoneText = zone ?? text(offsetTag);
  let offset: number | undefined;
  if (zoneText === 'Z') offset = 0;
  else if (zoneText) {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zoneText);
    if (z) offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return { raw, naive, offset };
}

const iso = (d: ParsedDate) => {
  const t = new Date(d.naive).toISOString().slice(0, 19);
  if (d.offset === undefined) return t;
  const sign = d.offset < 0 ? '-' : '+';
  const a = Math.abs(d.offset);
  return `${t}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
};

/** Difference a − b in seconds; both zoned → true instants, else wall-clock readings. */
function diffSeconds(a: ParsedDate, b: ParsedDate): number {
  if (a.offset !== undefined && b.offset !== undefined) return (a.naive - a.offset * 60_000 - (b.naive - b.offset * 60_000)) / 1000;
  return (a.naive - b.naive) / 1000;
}

/** Makers whose cameras always write maker notes (their absence suggests a rewrite). */
const MAKERNOTE_MAKERS = new Set(['canon', 'nikon', 'olympus', 'pentax', 'sony', 'panasonic', 'fujifilm', 'apple', 'samsung', 'casio', 'ricoh', 'leica', 'sigma', 'kodak', 'konica-minolta', 'google', 'huawei', 'xiaomi']);

async function parseAll(bytes: Uint8Array): Promise<Record<string, Tags>> {
  try {
    const out = await exifr.parse(bytes, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: true,
      interop: false,
      xmp: true,
      iptc: true,
      icc: false,
      jfif: false,
      ihdr: false,
      makerNote: true,
      userComment: false,
      translateValues: false,
      reviveValues: false,
      mergeOutput: false,
      multiSegment: true,
    });
    return (out ?? {}) as Record<string, Tags>;
  } catch {
    // Unparseable metadata is itself a finding elsewhere (ingest warns about a damaged EXIF block);
    // here it means there is nothing consistent or inconsistent to report.
    return {};
  }
}

/** Consistency findings for one file's metadata. */
export async function analyzeMetadataConsistency(bytes: Uint8Array, options: MetadataConsistencyOptions = {}): Promise<MetadataConsistencyDetail> {
  const tolerance = METADATA_CONSISTENCY_ANALYSIS.parameters.clockToleranceSeconds as number;
  const now = options.now ?? new Date();
  const tags = await parseAll(bytes);
  const ifd0 = tags.ifd0 ?? {};
  const exif = tags.exif ?? {};
  const gps = tags.gps ?? {};
  const xmp = { ...(tags.xap ?? {}), ...(tags.xmp ?? {}) };
  const xmpMM = { ...(tags.xapMM ?? {}), ...(tags.xmpMM ?? {}) };
  const photoshop = tags.photoshop ?? {};
  const findings: ConsistencyFinding[] = [];
  const add = (code: string, severity: ConsistencyFinding['severity'], message: string) => findings.push({ code, severity, message });

  // --- Dates -----------------------------------------------------------------------------
  const original = parseDate(exif.DateTimeOriginal, exif.OffsetTimeOriginal);
  const digitized = parseDate(exif.CreateDate ?? exif.DateTimeDigitized, exif.OffsetTimeDigitized);
  const modified = parseDate(ifd0.ModifyDate ?? ifd0.DateTime, exif.OffsetTime);
  const xmpCreate = parseDate(xmp.CreateDate ?? photoshop.DateCreated);
  const xmpModify = parseDate(xmp.ModifyDate);
  const xmpMetadata = parseDate(xmp.MetadataDate);
  const file = options.fileModifiedAt ? parseDate(options.fileModifiedAt) : undefined;
  let gpsUtc: ParsedDate | undefined;
  const gpsDate = text(gps.GPSDateStamp);
  const gpsTime = gps.GPSTimeStamp;
  if (gpsDate && Array.isArray(gpsTime) && gpsTime.length === 3 && gpsTime.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const [h, m, s] = gpsTime as number[];
    gpsUtc = parseDate(`${gpsDate.replace(/-/g, ':')} ${String(Math.floor(h!)).padStart(2, '0')}:${String(Math.floor(m!)).padStart(2, '0')}:${String(Math.floor(s!)).padStart(2, '0')}Z`);
  }

  if (original && digitized && Math.abs(diffSeconds(digitized, original)) > tolerance) {
    add('digitized-differs', 'notice', `The date digitised (${digitized.raw}) differs from the date taken (${original.raw}): the picture was scanned or converted later, or a date was edited.`);
  }
  if (original && modified) {
    const d = diffSeconds(modified, original);
    if (d < -tolerance) add('date-order', 'warning', `The modify date (${modified.raw}) is before the date taken (${original.raw}): impossible for an untouched file; a date was edited or a clock reset.`);
    else if (d > tolerance) add('modified-after-capture', 'notice', `The file was modified (${modified.raw}) after it was taken (${original.raw}): it was saved again after capture.`);
  }
  if (original && xmpCreate && Math.abs(diffSeconds(xmpCreate, original)) > tolerance && Math.abs(diffSeconds(xmpCreate, original)) % 900 > tolerance) {
    add('xmp-create-differs', 'notice', `The XMP creation date (${xmpCreate.raw}) differs from the EXIF date taken (${original.raw}).`);
  }
  if (xmpModify && (original ?? xmpCreate) && diffSeconds(xmpModify, (original ?? xmpCreate)!) > tolerance) {
    add('xmp-modified', 'notice', `XMP records a modification on ${xmpModify.raw}, after the picture was taken or created.`);
  }
  if (original && gpsUtc) {
    if (original.offset !== undefined) {
      const d = Math.abs(diffSeconds(original, gpsUtc));
      if (d > tolerance) add('gps-time', 'notice', `The GPS clock (${iso(gpsUtc)} UTC) and the date taken (${iso(original)}) are ${Math.round(d / 60)} min apart.`);
    } else {
      // Without a stated offset the difference must look like a time zone: within 14 h, a multiple of 15 min.
      const d = diffSeconds(original, gpsUtc);
      const residue = Math.abs(d) % 900;
      if (Math.abs(d) > 14 * 3600 + tolerance || Math.min(residue, 900 - residue) > tolerance) {
        add('gps-time', 'notice', `The GPS clock (${iso(gpsUtc)} UTC) and the date taken (${original.raw}, local) differ by ${(d / 3600).toFixed(2)} h, which is no time zone: a clock was off or a date edited.`);
      }
    }
  }
  for (const [label, d] of [['date taken', original], ['date digitised', digitized], ['modify date', modified]] as const) {
    if (d && d.naive - 14 * 3600_000 > now.getTime() + 86_400_000) add('future-date', 'warning', `The ${label} (${d.raw}) lies in the future: the camera clock was wrong or the date was edited.`);
  }
  if (file && original && diffSeconds(file, original) < -86_400) {
    add('file-before-capture', 'notice', `The file-system date (${file.raw}) is more than a day before the date taken (${original.raw}): a wrong camera clock, or the date was edited.`);
  }

  // --- Software chain ----------------------------------------------------------------------
  const softwareChain: { source: string; value: string }[] = [];
  const addSoftware = (source: string, value: string | undefined) => {
    if (value && !softwareChain.some((s) => s.value === value && s.source === source)) softwareChain.push({ source, value });
  };
  addSoftware('EXIF Software', text(ifd0.Software));
  addSoftware('XMP CreatorTool', text(xmp.CreatorTool));
  const rawHistory = xmpMM.History;
  const events = (Array.isArray(rawHistory) ? rawHistory : rawHistory ? [rawHistory] : []) as Tags[];
  const history = events.map((e) => ({
    action: text(e.action),
    when: text(e.when),
    softwareAgent: text(e.softwareAgent),
    parameters: text(e.parameters),
  }));
  for (const e of history) addSoftware(`XMP history (${e.action ?? 'event'}${e.when ? `, ${e.when}` : ''})`, e.softwareAgent);
  const segments = jpegSegments(bytes);
  for (const s of segments) {
    if (s.marker === 0xfe) {
      const comment = new TextDecoder('latin1').decode(s.payload).replace(/\0+$/, '').trim();
      const m = /CREATOR:\s*([^\n]+)/i.exec(comment) ?? /^(gd-jpeg[^\n]*|Created with [^\n]+|LEAD Technologies[^\n]*|Intel\(R\) JPEG[^\n]*)/i.exec(comment);
      if (m) addSoftware('JPEG comment', m[1]!.trim().slice(0, 120));
    }
  }
  const photoshopIrb = segments.some((s) => s.marker === 0xed && segmentStartsWith(s, 'Photoshop 3.0'));
  const adobeApp14 = segments.some((s) => s.marker === 0xee && segmentStartsWith(s, 'Adobe'));
  // One finding per program, listing where it is named.
  const bySoftware = new Map<string, string[]>();
  for (const { source, value } of softwareChain) bySoftware.set(value, [...(bySoftware.get(value) ?? []), source]);
  for (const [value, sources] of bySoftware) {
    const kind = classifySoftware(value);
    const where = sources.length > 1 ? `${sources[0]} and ${sources.length - 1} other place(s)` : sources[0];
    if (kind === 'generator') add('software-generator', 'warning', `The ${where} names an AI image generator ("${value}").`);
    else if (kind === 'editor') add('software-editor', 'warning', `The ${where} names editing software ("${value}"): the file was saved by that program after capture.`);
  }
  if (photoshopIrb) {
    add('photoshop-irb', 'info', 'The JPEG carries a Photoshop image resource block (APP13), written by Photoshop and by other programs (and some cameras) that store IPTC data there.');
  }
  if (adobeApp14 && !photoshopIrb && softwareChain.length === 0) {
    add('adobe-marker', 'info', 'The JPEG carries an Adobe APP14 marker: it was encoded by Adobe software or a library that imitates it.');
  }

  // --- GPS and maker notes -----------------------------------------------------------------
  const lat = gps.latitude, lon = gps.longitude;
  const hasGps = typeof lat === 'number' && typeof lon === 'number' && Number.isFinite(lat) && Number.isFinite(lon);
  if (hasGps) add('gps-present', 'info', `The file records a GPS position (${(lat as number).toFixed(5)}, ${(lon as number).toFixed(5)}).`);
  const exiftoolMakerTags = options.exiftool?.tags.filter((t) => !/^(IFD|Exif|GPS|XMP|IPTC|ICC|File|JFIF|Composite|Photoshop|Adobe|APP|JPEG|PNG|Interop|MPF|ExifTool)/i.test(t.group)).length ?? 0;
  const makerNote = tags.makerNote !== undefined || exif.MakerNote !== undefined || exiftoolMakerTags > 0;
  const maker = cameraMaker(text(ifd0.Make));
  if (maker && MAKERNOTE_MAKERS.has(maker) && !makerNote) {
    add('makernote-missing', 'notice', `The EXIF names a ${text(ifd0.Make)} camera but has no maker notes, which its cameras write: the EXIF was rewritten by software that dropped them.`);
  }
  if (!text(ifd0.Make) && !text(ifd0.Model) && Object.keys(exif).length > 0) {
    add('no-camera', 'info', 'EXIF is present but names no camera make or model.');
  }
  for (const w of options.exiftool?.warnings ?? []) {
    const minor = /^\[minor\]/i.test(w);
    add('exiftool-warning', /maker ?notes|offset|IFD|corrupt|bad/i.test(w) ? 'notice' : 'info', `ExifTool: ${w}${minor ? '' : ''}`);
  }

  const flagged = findings.some((f) => f.severity === 'warning');
  const dates: MetadataConsistencySummary['dates'] = {};
  if (original) dates.original = original.raw;
  if (digitized) dates.digitized = digitized.raw;
  if (modified) dates.modified = modified.raw;
  if (gpsUtc) dates.gpsUtc = iso(gpsUtc);
  if (xmpCreate) dates.xmpCreate = xmpCreate.raw;
  if (xmpModify) dates.xmpModify = xmpModify.raw;
  if (xmpMetadata) dates.xmpMetadata = xmpMetadata.raw;
  if (file) dates.file = file.raw;
  const noMetadata = Object.keys(ifd0).length === 0 && Object.keys(exif).length === 0 && Object.keys(xmp).length === 0;
  const warnings = findings.filter((f) => f.severity === 'warning');
  const notices = findings.filter((f) => f.severity === 'notice');
  const reason = noMetadata
    ? 'The file carries no EXIF or XMP metadata to check (messaging apps, websites and many editors remove it; that alone proves nothing).'
    : warnings.length > 0
      ? warnings.map((f) => f.message).join(' ')
      : notices.length > 0
        ? `No contradiction that flags the file; ${notices.length} point(s) to note: ${notices.map((f) => f.message).join(' ')}`
        : 'The dates, software and camera fields agree with each other.';
  return {
    summary: {
      analysis: 'metadataConsistency',
      version: METADATA_CONSISTENCY_ANALYSIS.version,
      parameters: { ...METADATA_CONSISTENCY_ANALYSIS.parameters },
      status: noMetadata ? 'not-applicable' : 'ok',
      flagged,
      reason,
      dates,
      softwareChain,
      gps: hasGps,
      makerNote,
      findings,
    },
    history,
  };
}
