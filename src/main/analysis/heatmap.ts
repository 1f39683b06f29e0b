// Heatmap PNGs for an ELA difference: the amplified per-pixel max-channel error coloured with
// inferno, once at full resolution (for zooming onto evidence) and once as a capped preview
// (for lists, the renderer and reports).

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { amplificationLut } from './amplify';
import { INFERNO_LUT } from './colormap';
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

/** Amplified per-pixel max-channel error, one byte per pixel. */
function amplifiedLevels(diff: Uint8Array, pixels: number, scale: number): Buffer {
  const amplify = amplificationLut(scale);
  const levels = Buffer.allocUnsafe(pixels);
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    const r = diff[i]!;
    const g = diff[i + 1]!;
    const b = diff[i + 2]!;
    levels[p] = amplify[r > g ? (r > b ? r : b) : g > b ? g : b]!;
  }
  return levels;
}

function colourise(levels: Uint8Array): Buffer {
  const rgb = Buffer.allocUnsafe(levels.length * 3);
  for (let p = 0, o = 0; p < levels.length; p++, o += 3) {
    const c = levels[p]! * 3;
    rgb[o] = INFERNO_LUT[c]!;
    rgb[o + 1] = INFERNO_LUT[c + 1]!;
    rgb[o + 2] = INFERNO_LUT[c + 2]!;
  }
  return rgb;
}

async function writeRgbPng(rgb: Buffer, width: number, height: number, path: string): Promise<string> {
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

async function writePreview(levels: Buffer, width: number, height: number, maxSide: number, path: string): Promise<string> {
  // Resize the error levels, then colour: every preview pixel stays on the colour map, so the
  // legend reads the same on the preview as on the full-size heatmap.
  const { data, info } = await sharp(levels, { raw: { width, height, channels: 1 }, limitInputPixels: false })
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    // Without this sharp widens the output to sRGB; the grey levels are unchanged either way.
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`Heatmap preview resize returned ${info.channels} channels, expected 1.`);
  return writeRgbPng(colourise(data), info.width, info.height, path);
}

/**
 * Writes the requested heatmap PNGs (parent folders are created) and returns their paths.
 * `diff` is the unscaled per-channel difference (RGB interleaved); `scale` multiplies the
 * per-pixel max-channel error before colouring, clamped to 255.
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

  const levels = amplifiedLevels(diff, width * height, scale);
  const [heatmapPath, previewPath] = await Promise.all([
    opts.path ? writeRgbPng(colourise(levels), width, height, opts.path) : undefined,
    opts.previewPath ? writePreview(levels, width, height, opts.previewMaxSide, opts.previewPath) : undefined,
  ]);
  const files: HeatmapFiles = {};
  if (heatmapPath) files.heatmapPath = heatmapPath;
  if (previewPath) files.previewPath = previewPath;
  return files;
}
