// Real inputs for the case-database tests: JPEG files made with sharp in a temp folder, their
// metadata and analysis records shaped like the engine's.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { RunParameters } from '../../src/contract/case';
import type { AnalysisRecord, EvidenceMetadata, ModelScore } from '../../src/contract/evidence';

export function tempDir(prefix = 'pl-store-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A small real JPEG whose colour depends on `seed`, so every seed hashes differently. */
export async function writeJpeg(dir: string, name: string, seed: number): Promise<string> {
  const file = path.join(dir, name);
  await sharp({
    create: { width: 16, height: 12, channels: 3, background: { r: seed % 256, g: (seed * 7) % 256, b: (seed * 13) % 256 } },
  })
    .jpeg({ quality: 90 })
    .toFile(file);
  return file;
}

/** Metadata the way ingest describes a file (hash of the real bytes, real dimensions). */
export async function metadataFor(file: string): Promise<EvidenceMetadata> {
  const bytes = fs.readFileSync(file);
  const meta = await sharp(bytes).metadata();
  return fakeMetadata(file, createHash('sha256').update(bytes).digest('hex'), bytes.length, meta.width ?? 0, meta.height ?? 0);
}

/** Metadata for rows that need no file on disk (bulk and sort tests). */
export function fakeMetadata(file: string, sha256: string, size = 1000, width = 16, height = 12): EvidenceMetadata {
  return {
    path: file,
    fileName: path.basename(file),
    sha256,
    sizeBytes: size,
    format: 'jpeg',
    extensionMismatch: false,
    width,
    height,
    displayWidth: width,
    displayHeight: height,
    orientation: 1,
    colourSpace: 'srgb',
    channels: 3,
    bitDepth: 8,
    hasAlpha: false,
    frames: 1,
    hasIccProfile: false,
    hasExif: false,
    hasXmp: false,
    hasEmbeddedThumbnail: false,
    exif: {},
    warnings: ['no EXIF metadata'],
  };
}

export function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function score(modelId: string, value: number): ModelScore {
  return {
    modelId,
    modelVersion: '1.0.0',
    modelSha256: sha256Of(modelId),
    task: 'generated',
    score: value,
    cropScores: [value],
    threshold: 0.5,
    flagged: value >= 0.5,
    provider: 'cpu',
    fixture: true,
  };
}

export function okRecord(meta: EvidenceMetadata, scores: ModelScore[], analysedAt = '2025-01-01T00:00:00.000Z'): AnalysisRecord {
  return {
    path: meta.path,
    status: 'ok',
    sha256: meta.sha256,
    ela: {
      parameters: { quality: 90, scale: 15, threshold: 20, previewMaxSide: 512 },
      stats: { mean: 1.5, p99: 9, max: 30, highShare: 0.01, topRegion: null },
    },
    scores,
    analysedAt,
    elapsedMs: 12,
  };
}

export function errorRecord(meta: EvidenceMetadata, code: 'CORRUPT' | 'CANCELLED' = 'CORRUPT'): AnalysisRecord {
  return {
    path: meta.path,
    status: 'error',
    sha256: meta.sha256,
    error: { code, message: code === 'CORRUPT' ? 'The file is damaged.' : 'Analysis was cancelled.' },
    analysedAt: '2025-01-01T00:00:00.000Z',
    elapsedMs: 3,
  };
}

export const RUN_PARAMETERS: RunParameters = {
  ela: { quality: 90, scale: 15, threshold: 20, previewMaxSide: 512 },
  models: [
    { id: 'gen-a', version: '1.0.0', onnxSha256: sha256Of('gen-a') },
    { id: 'gen-b', version: '2.1.0', onnxSha256: sha256Of('gen-b') },
  ],
  provider: 'cpu',
};

export const CASE_INPUT = {
  name: 'Harbour fire',
  number: 'PL-2025-001',
  examiner: 'A. Examiner',
  organisation: 'Forensic Unit',
  description: 'Photos posted after the fire',
};
