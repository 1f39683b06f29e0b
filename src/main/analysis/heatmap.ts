// Heatmap PNGs for an ELA difference: the amplified per-pixel max-channel error coloured with
// inferno, as a capped preview (for lists, the renderer and reports) and, when asked for, at
// full resolution (for zooming onto evidence).

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { amplificationLut } from './amplify';
import { INFERNO_LUT } from './colormap';
import { elaPreviewSize } from './elaPass';
import { assertElaScale, assertPreviewMaxSide } from './parameters';

export interface HeatmapOptions {
  /** Full-resolution PNG to write. */
  path?: string;
  /** Preview PNG to write, long side at most `previewMaxSide` (never upscaled). */
  previewPath?: string;
  previewMaxSide: number;
}

export interface HeatmapFiles {
  heatmapPath?: string;
  previewPath?: string;
}

/**
 * zlib level 3: on noisy heatmaps higher levels gain well under 1% in size for up to twice
 * the CPU; adaptive filtering costs more still. Encoding runs on libvips' threads, so the
 * event loop stays free while the file is written.
 */
const PNG_OPTIONS = { compressionLevel: 3, adaptiveFiltering: false } as const;

/** Per-pixel max-channel error (unamplified), one byte per pixel, from a difference buffer. */
function levelsFromDifference(diff: Uint8Array, pixels: number): Uint8Array {
  const levels = new Uint8Array(pixels);
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    const r = diff[i]!;
    const g = diff[i + 1]!;
    const b = diff[i + 2]!;
    levels[p] = r > g ? (r > b ? r : b) : g > b ? g : b;
  }
  return levels;
}

/** Per-pixel max-channel error (unamplified) between two RGB images of the same size. */
export function maxChannelLevels(original: Uint8Array, recompressed: Uint8Array, width: number, height: number): Uint8Array {
  const pixels = width * height;
  const levels = new Uint8Array(pixels);
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    let r = original[i]! - recompressed[i]!;
    let g = original[i + 1]! - recompressed[i + 1]!;
    let b = original[i + 2]! - recompressed[i + 2]!;
    r = (r ^ (r >> 31)) - (r >> 31);
    g = (g ^ (g >> 31)) - (g >> 31);
    b = (b ^ (b >> 31)) - (b >> 31);
    levels[p] = r > g ? (r > b ? r : b) : g > b ? g : b;
  }
  return levels;
}

/**
 * The preview of a level image: each preview pixel is the highest level of the image pixels it
 * covers (cells as in elaPass), so a small bright spot is not averaged away by the shrink.
 */
export function blockMaxPreview(levels: Uint8Array, width: number, height: number, maxSide: number): { levels: Uint8Array; width: number; height: number } {
  const size = elaPreviewSize(width, height, maxSide);
  if (size.width === width && size.height === height) return { levels, width, height };
  const grid = new Uint8Array(size.width * size.height);
  const columns = new Int32Array(width);
  for (let x = 0; x < width; x++) columns[x] = Math.floor((x * size.width) / width);
  for (let y = 0, p = 0; y < height; y++) {
    const row = Math.floor((y * size.height) / height) * size.width;
    for (let x = 0; x < width; x++, p++) {
      const cell = row + columns[x]!;
      if (levels[p]! > grid[cell]!) grid[cell] = levels[p]!;
    }
  }
  return { levels: grid, ...size };
}

/**
 * Writes unamplified error levels (one byte per pixel) as an inferno heatmap PNG after
 * amplifying them by `scale` (clamped to 255); parent folders are created.
 */
export async function writeHeatmapPng(levels: Uint8Array, width: number, height: number, scale: number, path: string): Promise<string> {
  assertElaScale(scale);
  if (levels.length < width * height) throw new RangeError(`Heatmap needs ${width * height} levels, got ${levels.length}.`);
  const amplify = amplificationLut(scale);
  const rgb = Buffer.allocUnsafe(width * height * 3);
  for (let p = 0, o = 0; p < width * height; p++, o += 3) {
    const c = amplify[levels[p]!]! * 3;
    rgb[o] = INFERNO_LUT[c]!;
    rgb[o + 1] = INFERNO_LUT[c + 1]!;
    rgb[o + 2] = INFERNO_LUT[c + 2]!;
  }
  try {
    await mkdir(dirname(path), { recursive: true });
    await sharp(rgb, { raw: { width, height, channels: 3 }, limitInputPixels: false })
      .png(PNG_OPTIONS)
      .toFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Could not write the ELA heatmap ${path}: ${reason}`, { cause: err });
  }
  return path;
}

/**
 * Writes the requested heatmap PNGs (parent folders are created) and returns their paths.
 * `diff` is the unscaled per-channel difference (RGB interleaved); `scale` multiplies the
 * per-pixel max-channel error before colouring, clamped to 255. The preview holds the block
 * maxima of the error (see blockMaxPreview).
 */
export async function renderHeatmap(
  diff: Uint8Array,
  width: number,
  height: number,
  scale: number,
  opts: HeatmapOptions,
): Promise<HeatmapFiles> {
  assertElaScale(scale);
  assertPreviewMaxSide(opts.previewMaxSide);
  if (diff.length !== width * height * 3) {
    throw new RangeError(`ELA difference buffer has ${diff.length} bytes, expected ${width * height * 3} for ${width}x${height} RGB.`);
  }
  if (!opts.path && !opts.previewPath) return {};

  const levels = levelsFromDifference(diff, width * height);
  const preview = opts.previewPath ? blockMaxPreview(levels, width, height, opts.previewMaxSide) : undefined;
  const [heatmapPath, previewPath] = await Promise.all([
    opts.path ? writeHeatmapPng(levels, width, height, scale, opts.path) : undefined,
    opts.previewPath && preview ? writeHeatmapPng(preview.levels, preview.width, preview.height, scale, opts.previewPath) : undefined,
  ]);
  const files: HeatmapFiles = {};
  if (heatmapPath) files.heatmapPath = heatmapPath;
  if (previewPath) files.previewPath = previewPath;
  return files;
}
