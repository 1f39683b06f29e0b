// Error Level Analysis: re-save the pixels as JPEG at a known quality and look at what changed.
// Areas that were already JPEG-compressed at (or below) that quality barely change; areas that
// were pasted in from elsewhere, retouched or never compressed change more and light up.

import { rename, rm } from 'node:fs/promises';
import sharp from 'sharp';
import type { ElaParameters, ElaResult } from '../../contract/evidence';
import { EvidenceError } from '../errors';
import type { DecodedImage } from '../ingest/decoded';
import { amplificationLut } from './amplify';
import { elaPass, withElaScratch, type RgbPixels } from './elaPass';
import { maxChannelLevels, writeHeatmapPng } from './heatmap';
import { assertElaQuality, assertElaScale, validateElaParameters } from './parameters';

export { DEFAULT_ELA_PARAMETERS, validateElaParameters } from './parameters';

/** libjpeg cannot encode a side longer than this, so ELA is impossible beyond it. */
const JPEG_MAX_SIDE = 65500;

/**
 * Plain libjpeg-compatible encoder settings: standard IJG quantisation tables, 4:2:0 chroma
 * subsampling, baseline, no trellis quantisation or deringing. This is what most cameras, phones
 * and editors produce and what published ELA work (FotoForensics, CASIA ELA+CNN) assumes, so the
 * error levels mean the same here as there. mozjpeg's tuned tables would shift every level.
 * Huffman optimisation is off: it only changes file size, never pixels.
 */
const ELA_JPEG_OPTIONS = {
  mozjpeg: false,
  chromaSubsampling: '4:2:0',
  quantisationTable: 0,
  trellisQuantisation: false,
  overshootDeringing: false,
  optimiseScans: false,
  optimiseCoding: false,
  progressive: false,
} as const;

function assertDecodedImage(image: DecodedImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`ELA needs an image with a positive whole-number size, got ${width}x${height}.`);
  }
  if (channels !== 3 || data.length !== width * height * 3) {
    throw new RangeError(
      `ELA needs 8-bit RGB pixels (${width * height * 3} bytes for ${width}x${height}), got ${data.length} bytes with ${channels} channels.`,
    );
  }
  if (width > JPEG_MAX_SIDE || height > JPEG_MAX_SIDE) {
    throw new EvidenceError(
      'TOO_LARGE',
      `Error Level Analysis re-saves the image as JPEG, which allows at most ${JPEG_MAX_SIDE} pixels per side; this image is ${width}x${height}.`,
    );
  }
}

/**
 * Per-channel absolute difference between the pixels and their JPEG re-compression at
 * `quality`, same layout as the input (RGB interleaved, one byte per sample, unscaled).
 * Deterministic for a given sharp/libvips build. The buffer is shared between callers of the
 * same image and quality: read it, never modify it.
 */
export function elaDifference(image: DecodedImage, quality: number): Promise<Buffer> {
  // The same decoded image is often ELA'd twice at the same quality (the ELA view and a
  // detector with the "ela" input transform): the JPEG round trip is done once per image.
  let perQuality = differenceCache.get(image);
  if (!perQuality) differenceCache.set(image, (perQuality = new Map()));
  let diff = perQuality.get(quality);
  if (!diff) {
    diff = computeElaDifference(image, quality);
    perQuality.set(quality, diff);
    diff.catch(() => perQuality.delete(quality));
  }
  return diff;
}

/** Differences per decoded image and quality; entries go when the image is garbage-collected. */
const differenceCache = new WeakMap<DecodedImage, Map<number, Promise<Buffer>>>();

/**
 * The pixels re-saved as JPEG at `quality` with the ELA encoder settings and decoded again:
 * what every error level is measured against. Same layout as the input.
 */
export async function jpegRecompression(image: DecodedImage, quality: number): Promise<Buffer> {
  assertElaQuality(quality);
  assertDecodedImage(image);
  const { width, height, data: original } = image;
  const jpeg = await sharp(original, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .jpeg({ quality, ...ELA_JPEG_OPTIONS })
    .toBuffer();
  const { data: recompressed, info } = await sharp(jpeg, { limitInputPixels: false })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(
      `JPEG round trip changed the image to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3.`,
    );
  }
  return recompressed;
}

async function computeElaDifference(image: DecodedImage, quality: number): Promise<Buffer> {
  const recompressed = await jpegRecompression(image, quality);
  const original = image.data;
  const n = original.length;
  const diff = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const d = original[i]! - recompressed[i]!;
    diff[i] = d < 0 ? -d : d;
  }
  return diff;
}

/**
 * The ELA image itself: per-channel difference × `scale`, rounded and clamped to 255. This is
 * the input of detectors whose manifest declares the "ela" input transform, so it must not
 * depend on anything but the pixels, `quality` and `scale`. (The analyse pipeline builds the
 * same image inside its single ELA pass instead; this is the stand-alone form.)
 */
export async function elaDifferenceImage(image: DecodedImage, quality: number, scale: number): Promise<DecodedImage> {
  assertElaScale(scale);
  const diff = await elaDifference(image, quality);
  const amplify = amplificationLut(scale);
  const data = Buffer.allocUnsafe(diff.length);
  for (let i = 0; i < diff.length; i++) data[i] = amplify[diff[i]!]!;
  return { data, width: image.width, height: image.height, channels: 3 };
}

export interface ElaOutputPaths {
  /**
   * Where to write the full-resolution heatmap PNG. Only written when asked for: the viewer asks
   * when it zooms past the preview (see writeElaHeatmap). When the image is no larger than the
   * preview, the preview is the full-resolution heatmap and this path is not written.
   */
  heatmapPath?: string;
  /** Where to write the preview PNG (long side ≤ params.previewMaxSide). */
  previewPath?: string;
}

/** Detector inputs made from the ELA pass (see ElaPassOptions.modelImage). */
export interface ElaModelRequest<T> {
  /** Amplification applied to the error levels (the detector's elaScale); ignored for grid 'none'. */
  scale: number;
  /**
   * What the pass builds: 'full', the amplified difference at full resolution; 'mean', the
   * amplified difference averaged onto a width×height grid; 'none', nothing (the build reads
   * crops from the original and `recompressed` itself).
   */
  grid: { kind: 'none' } | { kind: 'full' } | { kind: 'mean'; width: number; height: number };
  /**
   * Turns the pass's products into detector inputs while they are valid: `modelImage` is the
   * requested grid, `recompressed` the decoded re-compression. Both are reused afterwards.
   */
  build: (products: { modelImage?: RgbPixels; recompressed: Uint8Array }) => Promise<T> | T;
}

/**
 * Full ELA of one decoded image in one JPEG round trip and one pass over the pixels: exact
 * statistics, the preview PNG (block maxima of the error, so a small hot spot stays visible
 * when the picture is shrunk), the full-resolution heatmap only when a path for it is given,
 * and optionally a detector's ELA input from the same pass.
 */
export async function runElaWith<T>(
  image: DecodedImage,
  params: ElaParameters,
  output: ElaOutputPaths | undefined,
  model: ElaModelRequest<T> | undefined,
): Promise<{ ela: ElaResult; model?: T }> {
  const parameters = validateElaParameters(params);
  if (model && model.grid.kind !== 'none') assertElaScale(model.scale);
  const recompressed = await jpegRecompression(image, parameters.quality);
  const { width, height } = image;
  return withElaScratch(async (scratch) => {
    const grid = model?.grid;
    const amplify = grid && grid.kind !== 'none' ? amplificationLut(model!.scale) : undefined;
    const pass = elaPass(image.data, recompressed, width, height, {
      threshold: parameters.threshold,
      previewMaxSide: parameters.previewMaxSide,
      modelImage: grid && amplify ? (grid.kind === 'mean' ? { kind: 'mean', amplify, width: grid.width, height: grid.height } : { kind: 'full', amplify }) : undefined,
    }, scratch);
    const previewIsFull = pass.preview.width === width && pass.preview.height === height;
    const [previewPath, heatmapPath, built] = await Promise.all([
      output?.previewPath ? writeHeatmapPng(pass.preview.levels, pass.preview.width, pass.preview.height, parameters.scale, output.previewPath) : undefined,
      output?.heatmapPath && !(previewIsFull && output.previewPath)
        ? writeHeatmapPng(previewIsFull ? pass.preview.levels : maxChannelLevels(image.data, recompressed, width, height), width, height, parameters.scale, output.heatmapPath)
        : undefined,
      model ? model.build({ modelImage: pass.modelImage, recompressed }) : undefined,
    ]);
    const ela: ElaResult = { parameters, stats: pass.stats };
    if (heatmapPath) ela.heatmapPath = heatmapPath;
    else if (previewPath && previewIsFull) ela.heatmapPath = previewPath;
    if (previewPath) ela.previewPath = previewPath;
    return model ? { ela, model: built as T } : { ela };
  });
}

/** Full ELA of one decoded image: statistics, plus heatmap PNGs for the paths given (see runElaWith). */
export async function runEla(image: DecodedImage, params: ElaParameters, output?: ElaOutputPaths): Promise<ElaResult> {
  return (await runElaWith(image, params, output, undefined)).ela;
}

/**
 * Writes the full-resolution heatmap of `image` to `path` (folders created; written to a
 * temporary name first, so a reader never sees half a file): what the viewer asks for when it
 * zooms past the preview. Costs one JPEG round trip and one pass.
 */
export async function writeElaHeatmap(image: DecodedImage, params: ElaParameters, path: string): Promise<string> {
  const parameters = validateElaParameters(params);
  const recompressed = await jpegRecompression(image, parameters.quality);
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeHeatmapPng(maxChannelLevels(image.data, recompressed, image.width, image.height), image.width, image.height, parameters.scale, temporary);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  return path;
}
