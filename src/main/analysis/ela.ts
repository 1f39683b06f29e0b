// Error Level Analysis: re-save the pixels as JPEG at a known quality and look at what changed.
// Areas that were already JPEG-compressed at (or below) that quality barely change; areas that
// were pasted in from elsewhere, retouched or never compressed change more and light up.

import sharp from 'sharp';
import type { ElaParameters, ElaResult } from '../../contract/evidence';
import { EvidenceError } from '../errors';
import type { DecodedImage } from '../ingest/decoded';
import { amplificationLut } from './amplify';
import { renderHeatmap } from './heatmap';
import { assertElaQuality, assertElaScale, validateElaParameters } from './parameters';
import { computeElaStats } from './stats';

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

/**
 * Seeds the cache with a difference computed elsewhere (a worker thread that prepared the file),
 * so a detector with the ELA input transform does not repeat the JPEG round trip.
 */
export function primeElaDifference(image: DecodedImage, quality: number, diff: Buffer): void {
  if (diff.length !== image.data.length) throw new RangeError('ELA difference does not match the image size');
  let perQuality = differenceCache.get(image);
  if (!perQuality) differenceCache.set(image, (perQuality = new Map()));
  perQuality.set(quality, Promise.resolve(diff));
}

/** Differences per decoded image and quality; entries go when the image is garbage-collected. */
const differenceCache = new WeakMap<DecodedImage, Map<number, Promise<Buffer>>>();

async function computeElaDifference(image: DecodedImage, quality: number): Promise<Buffer> {
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
 * depend on anything but the pixels, `quality` and `scale`.
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
  /** Where to write the full-resolution heatmap PNG. */
  heatmapPath?: string;
  /** Where to write the preview PNG (long side ≤ params.previewMaxSide). */
  previewPath?: string;
}

/** Full ELA of one decoded image: statistics, plus heatmap PNGs for the paths given. */
export async function runEla(image: DecodedImage, params: ElaParameters, output?: ElaOutputPaths): Promise<ElaResult> {
  const parameters = validateElaParameters(params);
  const diff = await elaDifference(image, parameters.quality);
  const stats = computeElaStats(diff, image.width, image.height, parameters);
  const files = await renderHeatmap(diff, image.width, image.height, parameters.scale, {
    path: output?.heatmapPath,
    previewPath: output?.previewPath,
    previewMaxSide: parameters.previewMaxSide,
  });
  return { parameters, stats, ...files };
}
