// Error Level Analysis in one pass over the pixels: the per-channel difference between the
// decoded image and its JPEG re-compression, the exact full-resolution statistics (mean,
// histogram, block sums), the per-pixel max-channel error reduced to a block-max preview grid,
// and (only when a model needs it) the amplified difference image, all computed in a single
// loop with scratch buffers that are reused from image to image.
//
// Why: the straightforward pipeline (difference buffer, statistics pass, levels pass, colour
// pass, resize) walked every 12 MP image five times and allocated ~190 MB of fresh buffers per
// image, which cost more CPU in page faults and garbage collection than the arithmetic. The
// results are identical: `computeElaStats` on the difference stays the reference and the tests
// compare the two on real images.

import type { ElaStats } from '../../contract/evidence';
import { elaBlockSide, summarizeElaStats } from './stats';

/** Error levels of the preview: for each cell, the highest max-channel error inside it (unamplified). */
export interface ElaPreviewGrid {
  /** One byte per cell, row-major, `width * height` long. */
  levels: Uint8Array;
  width: number;
  height: number;
}

export interface ElaPassOptions {
  /** Per-pixel level above which a pixel counts as "high" (ElaStats.highShare). */
  threshold: number;
  /** Long side of the preview grid; never larger than the image. */
  previewMaxSide: number;
  /**
   * The ELA image a detector needs, built in the same pass (at most one per pass):
   * - `full`: the amplified per-channel difference at full resolution, same layout as the
   *   pixels (for crops or kernels that need every pixel);
   * - `mean`: the amplified difference averaged over the cells of a `width`×`height` grid laid
   *   over the whole image (an area-average downscale, done while the pixels stream past).
   * `amplify` is a 256-entry table level → amplified level (see amplificationLut).
   */
  modelImage?: { kind: 'full'; amplify: Uint8Array } | { kind: 'mean'; amplify: Uint8Array; width: number; height: number };
}

/** 8-bit RGB pixels, interleaved. */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ElaPassResult {
  stats: ElaStats;
  /** Valid until the scratch it came from is released. */
  preview: ElaPreviewGrid;
  /** The detector's ELA image when `modelImage` was given; valid until the scratch is released. */
  modelImage?: RgbPixels;
}

/**
 * Size of a preview whose long side is at most `maxSide`, aspect ratio kept, never enlarged;
 * rounded like sharp's `fit: 'inside'` resize so previews keep the sizes they always had.
 */
export function elaPreviewSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  if (width <= maxSide && height <= maxSide) return { width, height };
  if (width >= height) return { width: maxSide, height: Math.max(1, Math.round((height * maxSide) / width)) };
  return { width: Math.max(1, Math.round((width * maxSide) / height)), height: maxSide };
}

/** Buffers bigger than this are not kept for the next image (a 200 MP outlier must not pin 600 MB). */
const KEEP_BYTES = 64 * 1024 * 1024;

/**
 * Working memory of one pass. Kept between images and grown only when an image needs more; one
 * per pass in flight (see `withElaScratch`), so concurrent passes never share buffers.
 */
export class ElaScratch {
  histogram = new Uint32Array(256);
  blockSums = new Float64Array(0);
  columnCells = new Int32Array(0);
  grid = new Uint8Array(0);
  amplified = new Uint8Array(0);
  meanColumns = new Int32Array(0);
  meanWidths = new Int32Array(0);
  meanSums = new Float64Array(0);
  mean = new Uint8Array(0);

  /** Drops buffers too big to keep. */
  trim(): void {
    if (this.amplified.byteLength > KEEP_BYTES) this.amplified = new Uint8Array(0);
    if (this.mean.byteLength > KEEP_BYTES) this.mean = new Uint8Array(0);
    if (this.grid.byteLength > KEEP_BYTES) this.grid = new Uint8Array(0);
    if (this.columnCells.byteLength > KEEP_BYTES) this.columnCells = new Int32Array(0);
    if (this.blockSums.byteLength > KEEP_BYTES) this.blockSums = new Float64Array(0);
  }
}

const idle: ElaScratch[] = [];
/** Scratch sets kept for reuse: more than two passes in flight on one thread is unusual. */
const MAX_IDLE = 2;

/** Runs `fn` with a scratch set no other pass uses meanwhile, and keeps it for the next pass. */
export async function withElaScratch<T>(fn: (scratch: ElaScratch) => Promise<T> | T): Promise<T> {
  const scratch = idle.pop() ?? new ElaScratch();
  try {
    return await fn(scratch);
  } finally {
    scratch.trim();
    if (idle.length < MAX_IDLE) idle.push(scratch);
  }
}

/**
 * The single ELA pass. `original` and `recompressed` are 8-bit RGB, `width*height*3` bytes
 * each. Returns exactly what `computeElaStats` returns for their absolute difference, the
 * preview grid and optionally the amplified difference. Buffers in the result belong to
 * `scratch`.
 */
export function elaPass(
  original: Uint8Array,
  recompressed: Uint8Array,
  width: number,
  height: number,
  opts: ElaPassOptions,
  scratch: ElaScratch,
): ElaPassResult {
  const samples = width * height * 3;
  if (original.length !== samples || recompressed.length !== samples) {
    throw new RangeError(`ELA pass needs ${samples} bytes per image for ${width}x${height} RGB, got ${original.length} and ${recompressed.length}.`);
  }
  const side = elaBlockSide(width, height);
  const blocksX = Math.ceil(width / side);
  const blocksY = Math.ceil(height / side);
  const preview = elaPreviewSize(width, height, opts.previewMaxSide);
  const pw = preview.width;
  const ph = preview.height;

  const histogram = scratch.histogram;
  histogram.fill(0);
  if (scratch.blockSums.length < blocksX * blocksY) scratch.blockSums = new Float64Array(blocksX * blocksY);
  const blockSums = scratch.blockSums.subarray(0, blocksX * blocksY);
  blockSums.fill(0);
  if (scratch.columnCells.length < width) scratch.columnCells = new Int32Array(width);
  const columnCells = scratch.columnCells;
  for (let x = 0; x < width; x++) columnCells[x] = Math.floor((x * pw) / width);
  if (scratch.grid.length < pw * ph) scratch.grid = new Uint8Array(pw * ph);
  const grid = scratch.grid.subarray(0, pw * ph);
  grid.fill(0);
  const model = opts.modelImage;
  const lut = model?.amplify;
  let amplified: Uint8Array | undefined;
  if (model?.kind === 'full') {
    if (scratch.amplified.length < samples) scratch.amplified = new Uint8Array(samples);
    amplified = scratch.amplified.subarray(0, samples);
  }
  // Mean grid: per-column cell offsets (×3), cell widths, one row of channel sums.
  let meanOut: Uint8Array | undefined;
  let meanColumns: Int32Array | undefined;
  let meanSums: Float64Array | undefined;
  const mw = model?.kind === 'mean' ? model.width : 0;
  const mh = model?.kind === 'mean' ? model.height : 0;
  if (model?.kind === 'mean') {
    if (!(Number.isInteger(mw) && Number.isInteger(mh) && mw >= 1 && mh >= 1 && mw <= width && mh <= height)) {
      throw new RangeError(`ELA model grid ${mw}x${mh} must be between 1x1 and the image size ${width}x${height}.`);
    }
    if (scratch.meanColumns.length < width) scratch.meanColumns = new Int32Array(width);
    meanColumns = scratch.meanColumns;
    if (scratch.meanWidths.length < mw) scratch.meanWidths = new Int32Array(mw);
    scratch.meanWidths.fill(0, 0, mw);
    for (let x = 0; x < width; x++) {
      const cell = Math.floor((x * mw) / width);
      meanColumns[x] = cell * 3;
      scratch.meanWidths[cell]!++;
    }
    if (scratch.meanSums.length < mw * 3) scratch.meanSums = new Float64Array(mw * 3);
    meanSums = scratch.meanSums.subarray(0, mw * 3);
    meanSums.fill(0);
    if (scratch.mean.length < mw * mh * 3) scratch.mean = new Uint8Array(mw * mh * 3);
    meanOut = scratch.mean.subarray(0, mw * mh * 3);
  }
  const meanWidths = scratch.meanWidths;
  let meanRow = 0;
  let meanRowHeight = 0;

  let channelSum = 0;
  for (let y = 0; y < height; y++) {
    const blockRow = ((y / side) | 0) * blocksX;
    const cellRow = Math.floor((y * ph) / height) * pw;
    if (meanSums) {
      const row = Math.floor((y * mh) / height);
      if (row !== meanRow) {
        flushMeanRow(meanSums, meanWidths, meanOut!, meanRow, mw, meanRowHeight);
        meanRow = row;
        meanRowHeight = 0;
      }
      meanRowHeight++;
    }
    let i = y * width * 3;
    let rowChannels = 0;
    for (let bx = 0; bx < blocksX; bx++) {
      const xEnd = Math.min(width, (bx + 1) * side);
      let segmentSum = 0;
      // Three copies of one loop, so the common case carries no per-pixel test for the others.
      if (amplified !== undefined) {
        for (let x = bx * side; x < xEnd; x++, i += 3) {
          let r = original[i]! - recompressed[i]!;
          let g = original[i + 1]! - recompressed[i + 1]!;
          let b = original[i + 2]! - recompressed[i + 2]!;
          r = (r ^ (r >> 31)) - (r >> 31);
          g = (g ^ (g >> 31)) - (g >> 31);
          b = (b ^ (b >> 31)) - (b >> 31);
          amplified[i] = lut![r]!;
          amplified[i + 1] = lut![g]!;
          amplified[i + 2] = lut![b]!;
          rowChannels += r + g + b;
          const m = r > g ? (r > b ? r : b) : g > b ? g : b;
          histogram[m]!++;
          segmentSum += m;
          const cell = cellRow + columnCells[x]!;
          if (m > grid[cell]!) grid[cell] = m;
        }
      } else if (meanSums !== undefined) {
        for (let x = bx * side; x < xEnd; x++, i += 3) {
          let r = original[i]! - recompressed[i]!;
          let g = original[i + 1]! - recompressed[i + 1]!;
          let b = original[i + 2]! - recompressed[i + 2]!;
          r = (r ^ (r >> 31)) - (r >> 31);
          g = (g ^ (g >> 31)) - (g >> 31);
          b = (b ^ (b >> 31)) - (b >> 31);
          const k = meanColumns![x]!;
          meanSums[k]! += lut![r]!;
          meanSums[k + 1]! += lut![g]!;
          meanSums[k + 2]! += lut![b]!;
          rowChannels += r + g + b;
          const m = r > g ? (r > b ? r : b) : g > b ? g : b;
          histogram[m]!++;
          segmentSum += m;
          const cell = cellRow + columnCells[x]!;
          if (m > grid[cell]!) grid[cell] = m;
        }
      } else {
        for (let x = bx * side; x < xEnd; x++, i += 3) {
          let r = original[i]! - recompressed[i]!;
          let g = original[i + 1]! - recompressed[i + 1]!;
          let b = original[i + 2]! - recompressed[i + 2]!;
          r = (r ^ (r >> 31)) - (r >> 31);
          g = (g ^ (g >> 31)) - (g >> 31);
          b = (b ^ (b >> 31)) - (b >> 31);
          rowChannels += r + g + b;
          const m = r > g ? (r > b ? r : b) : g > b ? g : b;
          histogram[m]!++;
          segmentSum += m;
          const cell = cellRow + columnCells[x]!;
          if (m > grid[cell]!) grid[cell] = m;
        }
      }
      blockSums[blockRow + bx]! += segmentSum;
    }
    channelSum += rowChannels;
  }
  if (meanSums) flushMeanRow(meanSums, meanWidths, meanOut!, meanRow, mw, meanRowHeight);

  const stats = summarizeElaStats({ width, height, threshold: opts.threshold, channelSum, histogram, blockSums });
  const result: ElaPassResult = { stats, preview: { levels: grid, width: pw, height: ph } };
  if (amplified) result.modelImage = { data: amplified, width, height };
  else if (meanOut) result.modelImage = { data: meanOut, width: mw, height: mh };
  return result;
}

/**
 * Writes one row of the mean grid (rounded means of the sums) and clears the sums. A function of
 * its own, not a closure: variables a closure captures live in a context object, and the hot
 * loop would then reload them on every pixel.
 */
function flushMeanRow(sums: Float64Array, widths: Int32Array, out: Uint8Array, row: number, columns: number, rowHeight: number): void {
  const base = row * columns * 3;
  for (let cell = 0, k = 0; cell < columns; cell++, k += 3) {
    const n = widths[cell]! * rowHeight;
    out[base + k] = Math.round(sums[k]! / n);
    out[base + k + 1] = Math.round(sums[k + 1]! / n);
    out[base + k + 2] = Math.round(sums[k + 2]! / n);
  }
  sums.fill(0);
}
