// The full metadata dump by ExifTool (Phil Harvey), the field's reference parser, through the
// exiftool-vendored package (which ships ExifTool itself and runs it with the system's Perl on
// Linux and macOS, or a bundled executable on Windows). exifr stays the fast parser for the batch
// summary; ExifTool gives the inspector every tag, maker notes included, and its warnings.
//
// ExifTool reads files, so the bytes (already hashed on ingest) are written to a private temporary
// file and removed afterwards: the dump describes exactly the bytes that were verified, even if the
// evidence path changes meanwhile. One reader per process, started lazily, closed by its owner.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExifTool } from 'exiftool-vendored';

export interface ExifToolTag {
  /** Family-1 group, as `exiftool -G1` prints it: IFD0, ExifIFD, GPS, XMP-xmp, Canon, ... */
  group: string;
  name: string;
  /** Numeric (`-n`) value; structures and lists are flattened to strings. */
  value: string | number;
}

export interface ExifToolDump {
  exiftoolVersion: string;
  tags: ExifToolTag[];
  /** ExifTool's warnings about the file ("[minor] Possibly incorrect maker notes offsets"...). */
  warnings: string[];
}

export interface ExifToolReaderOptions {
  /** Perl processes kept for parallel reads (default 1: dumps are on demand). */
  maxProcs?: number;
  /** A read taking longer than this fails (default 30 s). */
  taskTimeoutMillis?: number;
}

/** Groups that describe the temporary copy rather than the evidence. */
const DROPPED_GROUPS = new Set(['System', 'SourceFile']);

function flatten(value: unknown): string | number {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => String(flatten(v))).join(', ');
  return JSON.stringify(value);
}

export class ExifToolReader {
  private exiftool: Promise<ExifTool> | null = null;
  private readonly options: Required<ExifToolReaderOptions>;

  constructor(options: ExifToolReaderOptions = {}) {
    this.options = { maxProcs: options.maxProcs ?? 1, taskTimeoutMillis: options.taskTimeoutMillis ?? 30_000 };
  }

  /** The package is imported on first use, so importing this module starts nothing. */
  private instance(): Promise<ExifTool> {
    this.exiftool ??= import('exiftool-vendored').then(
      ({ ExifTool }) => new ExifTool({ maxProcs: this.options.maxProcs, taskTimeoutMillis: this.options.taskTimeoutMillis, taskRetries: 0 }),
    );
    return this.exiftool;
  }

  /** ExifTool's version string; throws (with ExifTool's message) when it cannot run, e.g. no Perl. */
  async version(): Promise<string> {
    return (await this.instance()).version();
  }

  /** Every tag of the file, `exiftool -G1 -a -s -n` style, plus JPEGDigest and JPEGQualityEstimate. */
  async dump(bytes: Uint8Array, extension = 'bin'): Promise<ExifToolDump> {
    const dir = await mkdtemp(join(tmpdir(), 'provenance-exiftool-'));
    const file = join(dir, `evidence.${extension.replace(/[^a-z0-9]/gi, '') || 'bin'}`);
    try {
      await writeFile(file, bytes, { mode: 0o600 });
      const raw = (await (await this.instance()).readRaw(file, {
        readArgs: ['-G1', '-a', '-s', '-n', '-api', 'RequestTags=JPEGDigest,JPEGQualityEstimate'],
        ignoreMinorErrors: false,
      })) as Record<string, unknown>;
      const tags: ExifToolTag[] = [];
      const warnings: string[] = [];
      let exiftoolVersion = '';
      for (const [key, value] of Object.entries(raw)) {
        if (key === 'errors' || key === 'warnings') {
          if (Array.isArray(value)) warnings.push(...value.map(String));
          continue;
        }
        const colon = key.indexOf(':');
        const group = colon > 0 ? key.slice(0, colon) : '';
        const name = colon > 0 ? key.slice(colon + 1) : key;
        if (DROPPED_GROUPS.has(group) || key === 'SourceFile') continue;
        if (group === 'ExifTool' && name === 'ExifToolVersion') {
          exiftoolVersion = String(value);
          continue;
        }
        if (group === 'ExifTool' && (name === 'Warning' || name === 'Error')) {
          warnings.push(String(value));
          continue;
        }
        tags.push({ group, name, value: flatten(value) });
      }
      return { exiftoolVersion, tags, warnings: [...new Set(warnings)] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Stops the Perl processes; the reader can be used again afterwards (it restarts lazily). */
  async close(): Promise<void> {
    const e = this.exiftool;
    this.exiftool = null;
    if (e) await (await e).end();
  }
}

/** The value of one tag ("Group:Name" or bare "Name", first match) in a dump. */
export function dumpValue(dump: ExifToolDump, key: string): string | number | undefined {
  const colon = key.indexOf(':');
  const group = colon > 0 ? key.slice(0, colon) : undefined;
  const name = colon > 0 ? key.slice(colon + 1) : key;
  return dump.tags.find((t) => t.name === name && (group === undefined || t.group === group))?.value;
}
