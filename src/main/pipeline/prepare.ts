import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { AnalysisSummary } from '../../contract/analyses';
import type { ElaParameters, ElaResult, EvidenceMetadata } from '../../contract/evidence';
import { readFile } from 'node:fs/promises';
import { amplificationLut, runElaWith, writeElaHeatmap, type ElaModelRequest, type RgbPixels } from '../analysis';
import { EvidenceError } from '../errors';
import { decodeImage, ingestFile, sha256Buffer, type IngestOptions } from '../ingest';
import { runBatchAnalyses } from '../analysis/batch';
import type { DecodedImage } from '../ingest/decoded';
import { elaInputPlan, preprocess, preprocessFromElaPass, type ElaInputPlan, type ModelManifest } from '../inference';
import { faceInputs, sharedFaceDetector, type FaceDetection } from '../inference/faces';
// File names of derived data are defined with the case's derived folders (store/derived.ts).
import { heatmapPaths, thumbnailPath } from '../store/derived';

export { heatmapPaths, thumbnailPath };

/**
 * A file after the CPU-side stages: hashed, described, decoded once, ELA done, and every
 * model's input tensors built from the decoded pixels. The pixels themselves are dropped here:
 * what goes on to inference is a few small tensors per model, not the image.
 */
export interface PreparedFile {
  path: string;
  metadata: EvidenceMetadata;
  ela?: ElaResult;
  /** Input tensors (one per crop) by model id, for Detector.scoreInputs. */
  inputs: Record<string, Float32Array[]>;
  /** Face-crop models: the faces their crops were cut from (same order as the crops), by model id. */
  faces: Record<string, FaceDetection[]>;
  /** Size of the decoded (orientation-applied) image the inputs were built from: a heatmap's region refers to it. */
  imageSize: { width: number; height: number };
  /** Models whose inputs could not be built for this file, with the reason (that model skips the file). */
  inputErrors: Record<string, string>;
  /** The batch forensic analyses' summaries (when PrepareOptions.forensics). */
  analyses?: AnalysisSummary[];
  /** Analyses that could not run on this file, as sentences (the file itself is fine). */
  analysisProblems?: string[];
  startedAt: number;
}

export interface PrepareOptions {
  ingest: IngestOptions;
  /** null skips ELA. */
  ela: ElaParameters | null;
  /** Folder for heatmap PNGs, named by the evidence SHA-256; omitted → statistics only. */
  heatmapDir?: string;
  /** Folder for gallery thumbnails (JPEG, named by SHA-256), made from the pixels already decoded. */
  thumbnailDir?: string;
  /** Models that will score the file: their inputs are built during preparation. */
  models?: ModelManifest[];
  /**
   * Also write the full-resolution heatmap of every image (the CLI's --full-heatmaps). By
   * default only the preview is written and the app makes the full one on demand.
   */
  fullHeatmaps?: boolean;
  /** Run the batch forensic analyses (analysis/batch.ts) on the decoded pixels and the bytes. */
  forensics?: boolean;
  /** Folder of the face detectors face-crop models name (the scoring Detector's). */
  faceDetectorsDir?: string;
}

/** A full-resolution ELA heatmap to make for an evidence file already analysed (see writeEvidenceHeatmap). */
export interface HeatmapJob {
  /** The evidence file; it is hashed again and must still be `sha256`. */
  evidencePath: string;
  sha256: string;
  ela: ElaParameters;
  maxPixels: number;
  /** Where the PNG goes. */
  out: string;
}

/**
 * Reads an evidence file, checks it is still the bytes that were analysed, and writes its
 * full-resolution ELA heatmap: the viewer's request when it zooms past the preview.
 */
export async function writeEvidenceHeatmap(job: HeatmapJob): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(job.evidencePath);
  } catch (err) {
    throw new EvidenceError('UNREADABLE', `Cannot read ${job.evidencePath} to make its ELA heatmap: ${errorText(err)}.`, { cause: err });
  }
  if (sha256Buffer(bytes) !== job.sha256) {
    throw new EvidenceError('UNREADABLE', `${job.evidencePath} has changed since it was analysed (SHA-256 differs); no heatmap was made. Verify the case.`);
  }
  const image = await decodeImage(bytes, { maxPixels: job.maxPixels });
  return writeElaHeatmap(image, job.ela, job.out);
}

export const THUMBNAIL_SIDE = 256;

/** A small JPEG for galleries, from decoded pixels so the evidence is not decoded twice. */
export async function writeThumbnail(image: DecodedImage, path: string): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toFile(path);
}

/** Partial knowledge about a file whose preparation failed, so the error record keeps it. */
export class PrepareFailure extends Error {
  constructor(readonly reason: unknown, readonly metadata?: EvidenceMetadata) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The amplified ELA image at full resolution, for a second resize model the pass could not serve. */
function amplifiedElaImage(original: Uint8Array, recompressed: Uint8Array, width: number, height: number, scale: number): RgbPixels {
  const amplify = amplificationLut(scale);
  const data = new Uint8Array(original.length);
  for (let i = 0; i < data.length; i++) {
    const d = original[i]! - recompressed[i]!;
    data[i] = amplify[d < 0 ? -d : d]!;
  }
  return { data, width, height };
}

/**
 * What the ELA pass builds for the models that take the ELA image at the pass's quality: the
 * first resize model gets its plan served by the pass, crop models read their windows from the
 * re-compression, and any further resize model gets a full ELA image of its own (rare).
 */
function elaModelRequest(
  image: DecodedImage,
  models: ModelManifest[],
  inputs: PreparedFile['inputs'],
  inputErrors: PreparedFile['inputErrors'],
): ElaModelRequest<void> | undefined {
  if (models.length === 0) return undefined;
  const plans = models.map((m) => elaInputPlan(m, image.width, image.height));
  const served = plans.findIndex((p) => p.kind !== 'crops');
  const grid: ElaModelRequest<void>['grid'] = served < 0 ? { kind: 'none' } : (plans[served] as Exclude<ElaInputPlan, { kind: 'crops' }>);
  return {
    scale: served < 0 ? 1 : models[served]!.preprocessing.elaScale!,
    grid,
    build: async ({ modelImage, recompressed }) => {
      for (let k = 0; k < models.length; k++) {
        const m = models[k]!;
        try {
          let planned: RgbPixels | undefined;
          if (k === served) planned = modelImage;
          else if (plans[k]!.kind !== 'crops') planned = amplifiedElaImage(image.data, recompressed, image.width, image.height, m.preprocessing.elaScale!);
          inputs[m.id] = await preprocessFromElaPass(image, m, recompressed, planned);
        } catch (err) {
          inputErrors[m.id] = errorText(err);
        }
      }
    },
  };
}

/**
 * Ingest → decode for one file, plus its thumbnail when a folder is given: for callers that work
 * on the pixels themselves (evaluation perturbs them). Failures after the file was read are a
 * PrepareFailure carrying its metadata.
 */
export async function readAndDecode(path: string, opts: Pick<PrepareOptions, 'ingest' | 'thumbnailDir'>): Promise<{ metadata: EvidenceMetadata; image: DecodedImage }> {
  const { metadata, bytes } = await ingestFile(path, opts.ingest);
  try {
    const image = await decodeImage(bytes, { maxPixels: opts.ingest.maxPixels });
    if (opts.thumbnailDir) await writeThumbnail(image, thumbnailPath(opts.thumbnailDir, metadata.sha256));
    return { metadata, image };
  } catch (err) {
    throw new PrepareFailure(err, metadata);
  }
}

/** Ingest → decode → ELA → model inputs for one file. Evidence is only ever read. */
export async function prepareFile(path: string, opts: PrepareOptions): Promise<PreparedFile> {
  const startedAt = performance.now();
  const { metadata, bytes } = await ingestFile(path, opts.ingest);
  try {
    const image = await decodeImage(bytes, { maxPixels: opts.ingest.maxPixels });
    const inputs: PreparedFile['inputs'] = {};
    const faces: PreparedFile['faces'] = {};
    const inputErrors: PreparedFile['inputErrors'] = {};
    const models = opts.models ?? [];
    const ela = opts.ela;
    // Detectors fed the ELA image at the quality of this run's ELA share its JPEG round trip.
    const viaPass = ela
      ? models.filter((m) => m.preprocessing.mode !== 'face-crop' && m.preprocessing.inputTransform === 'ela' && m.preprocessing.elaQuality === ela.quality)
      : [];
    const separate = models.filter((m) => !viaPass.includes(m));
    const paths = opts.heatmapDir ? heatmapPaths(opts.heatmapDir, metadata.sha256) : undefined;
    const preview = paths ? (opts.fullHeatmaps ? paths : { previewPath: paths.previewPath }) : undefined;
    const [elaResult, forensics] = await Promise.all([
      ela ? runElaWith(image, ela, preview, elaModelRequest(image, viaPass, inputs, inputErrors)).then((r) => r.ela) : undefined,
      opts.forensics ? runForensics(path, bytes, image, metadata) : undefined,
      opts.thumbnailDir ? writeThumbnail(image, thumbnailPath(opts.thumbnailDir, metadata.sha256)) : undefined,
      (async () => {
        for (const m of separate) {
          try {
            // Face-crop models score faces: the face detector runs here, in the prepare worker,
            // so that what goes on to inference is the face crops and their boxes, not the pixels.
            if (m.preprocessing.mode === 'face-crop' && m.preprocessing.face) {
              const found = await faceInputs(image, m, await sharedFaceDetector(m.preprocessing.face.detector, opts.faceDetectorsDir));
              inputs[m.id] = found.crops;
              faces[m.id] = found.faces;
            } else inputs[m.id] = await preprocess(image, m);
          } catch (err) {
            inputErrors[m.id] = errorText(err);
          }
        }
      })(),
    ]);
    return {
      path,
      metadata,
      ela: elaResult,
      inputs,
      faces,
      imageSize: { width: image.width, height: image.height },
      inputErrors,
      ...(forensics ? { analyses: forensics.summaries, ...(forensics.problems.length ? { analysisProblems: forensics.problems } : {}) } : {}),
      startedAt,
    };
  } catch (err) {
    throw new PrepareFailure(err, metadata);
  }
}

/** The batch analyses on the bytes that were hashed and the pixels already decoded. */
async function runForensics(path: string, bytes: Uint8Array, image: DecodedImage, metadata: EvidenceMetadata) {
  // The file date is one of the dates compared; an unreadable stat only drops that comparison.
  const fileModifiedAt = await stat(path).then((s) => s.mtime.toISOString(), () => undefined);
  const claimed = { make: metadata.exif.make, software: metadata.exif.software };
  return runBatchAnalyses({ bytes, image, format: metadata.format, claimed, fileModifiedAt });
}
