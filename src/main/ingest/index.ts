import fs from 'node:fs/promises';
import path from 'node:path';
import type { EvidenceMetadata } from '../../contract/evidence';
import { EvidenceError } from '../errors';
import { sha256Buffer, sha256File } from './hash';
import { tooManyPixelsError } from './imageErrors';
import { describeEvidence, readImageHeader } from './metadata';
import { describeNonImage, SNIFF_BYTES, sniffFormat } from './sniff';

export { walkEvidence, OS_JUNK_NAMES } from './walk';
export type { WalkEntry, WalkOptions } from './walk';
export { decodeImage } from './decode';
export type { DecodeOptions } from './decode';
export { sha256File, sha256Buffer, readVerified, type VerifiedRead } from './hash';
export { findTrailingData, imageEnd, type TrailingData } from './trailingData';
export type { DecodedImage } from './decoded';

export interface IngestOptions {
  /** Files larger than this are refused (TOO_LARGE) without being read. */
  maxFileBytes: number;
  /** Images whose header declares more pixels than this are refused (TOO_MANY_PIXELS) before decoding. */
  maxPixels: number;
}

/**
 * 100 megapixels: above any camera sensor in use (the largest medium-format backs are 100-150
 * MP and rare as evidence) and small enough that a decompression bomb (a few KB of JPEG or PNG
 * declaring 14000 × 14000) is refused from its header. Configurable (--max-pixels) for the
 * genuinely larger file, which then decodes under the pipeline's memory budget.
 */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export const DEFAULT_INGEST_OPTIONS: Readonly<IngestOptions> = Object.freeze({
  maxFileBytes: 512 * 1024 * 1024,
  maxPixels: DEFAULT_MAX_PIXELS,
});

export interface IngestedFile {
  metadata: EvidenceMetadata;
  /** The file's bytes exactly as read (and hashed) once: decode from these, never re-read the file. */
  bytes: Buffer;
}

/**
 * A refusal raised after the file was read and hashed (not an image, too many pixels, damaged
 * header): it carries the hash so the record can still identify the exact bytes examined.
 */
export class IngestRefusal extends EvidenceError {
  readonly sha256: string;
  readonly sizeBytes: number;
  constructor(source: EvidenceError, sha256: string, sizeBytes: number) {
    super(source.code, source.message, { cause: source.cause });
    this.sha256 = sha256;
    this.sizeBytes = sizeBytes;
  }
}

/**
 * What can still be said about a file that was refused before it was hashed: its size and, when
 * it is a regular file that can be read, its SHA-256 (streamed, so a file refused for its size
 * is hashed without sitting in memory). Never opens anything but a regular file: a FIFO would
 * block, a folder or a broken link has no bytes. Never throws.
 */
export async function refusedFileFacts(filePath: string): Promise<{ sha256?: string; sizeBytes?: number }> {
  // A failure is an answer here (the file is gone): the refusal already says why.
  const stats = await fs.stat(filePath).catch(() => null);
  if (!stats?.isFile()) return {};
  // Unreadable (permission denied): no hash, but the size is still known.
  const sha256 = await sha256File(filePath).catch(() => undefined);
  return sha256 === undefined ? { sizeBytes: stats.size } : { sha256, sizeBytes: stats.size };
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function fsError(err: unknown, filePath: string): EvidenceError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new EvidenceError(
      'UNREADABLE',
      `Permission denied reading ${filePath}: check the file's permissions and that your account may read it.`,
      { cause: err },
    );
  }
  if (code === 'ENOENT') {
    return new EvidenceError('UNREADABLE', `${filePath} does not exist (moved or deleted?); check the path.`, { cause: err });
  }
  if (code === 'EISDIR') {
    return new EvidenceError('NOT_A_FILE', `${filePath} is a folder, not a file.`, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new EvidenceError('UNREADABLE', `Cannot read ${filePath}: ${detail}.`, { cause: err });
}

/**
 * Reads one evidence file once, read-only, and describes it: hash, format from content,
 * header metadata, warnings. Refuses (EvidenceError) what must not or cannot be analysed:
 * empty, oversized, non-image, or declaring more pixels than allowed — all before any decode.
 */
export async function ingestFile(filePath: string, opts: Partial<IngestOptions> = {}): Promise<IngestedFile> {
  const { maxFileBytes, maxPixels } = { ...DEFAULT_INGEST_OPTIONS, ...opts };
  const absolute = path.resolve(filePath);
  const fileName = path.basename(absolute);

  // stat before open: opening a FIFO for reading would block until something writes to it.
  const pre = await fs.stat(absolute).catch((err) => {
    throw fsError(err, absolute);
  });
  if (!pre.isFile()) {
    throw new EvidenceError('NOT_A_FILE', `${absolute} is not a regular file (folder, device, socket or pipe).`);
  }

  let bytes: Buffer;
  const handle = await fs.open(absolute, 'r').catch((err) => {
    throw fsError(err, absolute);
  });
  try {
    const stats = await handle.stat(); // the file actually opened, in case the path changed meanwhile
    if (!stats.isFile()) throw new EvidenceError('NOT_A_FILE', `${absolute} is not a regular file.`);
    if (stats.size === 0) {
      throw new EvidenceError('EMPTY_FILE', `${fileName} is empty (0 bytes): nothing to analyse. Check that the copy completed.`);
    }
    if (stats.size > maxFileBytes) {
      throw new EvidenceError(
        'TOO_LARGE',
        `${fileName} is ${mebibytes(stats.size)}, larger than the limit of ${mebibytes(maxFileBytes)}; ` +
          `raise the maximum file size setting (maxFileBytes) to analyse it.`,
      );
    }
    bytes = await handle.readFile();
  } catch (err) {
    throw err instanceof EvidenceError ? err : fsError(err, absolute);
  } finally {
    await handle.close();
  }
  if (bytes.length === 0 || bytes.length > maxFileBytes) {
    throw new EvidenceError(
      bytes.length === 0 ? 'EMPTY_FILE' : 'TOO_LARGE',
      `${fileName} changed size while it was being read; make sure nothing is writing to evidence files, then retry.`,
    );
  }

  const sha256 = sha256Buffer(bytes);
  try {
    const head = bytes.subarray(0, SNIFF_BYTES);
    const format = sniffFormat(head);
    if (format === null) {
      const looksLike = describeNonImage(head);
      throw new EvidenceError(
        'NOT_AN_IMAGE',
        looksLike
          ? `${fileName} is not an image: its content looks like ${looksLike}.`
          : `${fileName} is not an image in a supported format (JPEG, PNG, WebP, TIFF, BMP, GIF, HEIF, AVIF); its first bytes match none of them.`,
      );
    }
    const header = await readImageHeader(bytes, format, fileName);
    if (header.width * header.height > maxPixels) {
      throw tooManyPixelsError(fileName, header.width, header.height, maxPixels);
    }
    const metadata = await describeEvidence({ path: absolute, sha256, sizeBytes: bytes.length, format, bytes, header });
    return { metadata, bytes };
  } catch (err) {
    throw err instanceof EvidenceError ? new IngestRefusal(err, sha256, bytes.length) : err;
  }
}
