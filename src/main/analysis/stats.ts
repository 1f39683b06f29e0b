// Summary numbers for an ELA difference buffer: how much error overall, how it is distributed,
// and where the most anomalous area is. Everything is in unscaled 0..255 error units so numbers
// stay comparable whatever amplification the heatmap used.

import type { ElaParameters, ElaStats } from '../../contract/evidence';
import { assertElaThreshold } from './parameters';

type TopRegion = NonNullable<ElaStats['topRegion']>;

/** Smallest block side in pixels: blocks below ~32 px follow JPEG noise rather than edits. */
const MIN_BLOCK_SIDE = 32;
/** Most blocks along either side, so the region search stays cheap and coarse on huge images. */
const MAX_BLOCKS_PER_SIDE = 64;
/** A block stands out when its score exceeds this multiple of the median block score... */
const REGION_MEDIAN_FACTOR = 2;
/**
 * ...and this many levels. A plain re-save at the ELA quality leaves block means of about 1-2
 * levels on textured content, so anything below 3 is not worth pointing at. This floor is
 * deliberately not the per-pixel `threshold`: block means average peaks away (the pasted area in
 * tests/analysis' splice test averages about 8 levels, under the default per-pixel threshold 10).
 */
const REGION_MIN_LEVEL = 3;
/**
 * Neighbours join the region only when they score above this share of the peak block, so the
 * region follows one anomaly instead of leaking along ordinary high-contrast edges next to it.
 */
const REGION_PEAK_SHARE = 0.5;

/** Side in pixels of the square blocks used for the region search. */
export function elaBlockSide(width: number, height: number): number {
  return Math.max(MIN_BLOCK_SIDE, Math.ceil(Math.max(width, height) / MAX_BLOCKS_PER_SIDE));
}

/**
 * Statistics of a per-channel absolute difference buffer (RGB interleaved, `width*height*3` bytes).
 *
 * - `mean`: over all pixels and channels.
 * - `p99`, `max`: of the per-pixel max-channel error; p99 is the nearest-rank percentile taken
 *   from a 256-level histogram, exact because errors are integers.
 * - `highShare`: share of pixels whose max-channel error is strictly above `threshold`.
 * - `topRegion`: the image is cut into square blocks (see `elaBlockSide`); each block scores the
 *   mean of its per-pixel max-channel errors. The highest-scoring block seeds a region when it
 *   scores above max(2 × median block score, 3); the median (not the mean) stands for "the
 *   image", so a splice covering a large part of the frame does not raise the bar for itself.
 *   The region grows over 4-connected blocks scoring above that level and above half the seed's
 *   score. Returned: the region's bounding box (image pixels, clipped to the image) and
 *   `meanError`, the mean max-channel error over that box (same units as p99/max).
 *   null when no block stands out.
 */
export function computeElaStats(
  diff: Uint8Array,
  width: number,
  height: number,
  params: Pick<ElaParameters, 'threshold'>,
): ElaStats {
  const pixels = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`ELA statistics need a positive integer size, got ${width}x${height}.`);
  }
  if (diff.length !== pixels * 3) {
    throw new RangeError(
      `ELA difference buffer has ${diff.length} bytes, expected ${pixels * 3} for ${width}x${height} RGB.`,
    );
  }
  const { threshold } = params;
  assertElaThreshold(threshold);

  const side = elaBlockSide(width, height);
  const blocksX = Math.ceil(width / side);
  const blocksY = Math.ceil(height / side);
  const blockSums = new Float64Array(blocksX * blocksY);
  const histogram = new Float64Array(256);
  let channelSum = 0;

  // One pass over the buffer. Rows are walked block segment by block segment so no per-pixel
  // division is needed to find the block.
  for (let y = 0; y < height; y++) {
    const blockRow = ((y / side) | 0) * blocksX;
    let i = y * width * 3;
    for (let bx = 0; bx < blocksX; bx++) {
      const xEnd = Math.min(width, (bx + 1) * side);
      let segmentSum = 0;
      for (let x = bx * side; x < xEnd; x++, i += 3) {
        const r = diff[i]!;
        const g = diff[i + 1]!;
        const b = diff[i + 2]!;
        channelSum += r + g + b;
        const m = r > g ? (r > b ? r : b) : g > b ? g : b;
        histogram[m]!++;
        segmentSum += m;
      }
      blockSums[blockRow + bx]! += segmentSum;
    }
  }
  return summarizeElaStats({ width, height, threshold, channelSum, histogram, blockSums });
}

/** What one pass over a difference accumulates; everything `ElaStats` is derived from. */
export interface ElaAccumulators {
  width: number;
  height: number;
  threshold: number;
  /** Sum of every channel's error over the image. */
  channelSum: number;
  /** Pixels per max-channel error level 0..255. */
  histogram: ArrayLike<number>;
  /** Sum of max-channel errors per block of `elaBlockSide`, row-major. */
  blockSums: Float64Array;
}

/** The statistics from the accumulators of a pass (see `computeElaStats` for their meaning). */
export function summarizeElaStats(acc: ElaAccumulators): ElaStats {
  const { width, height, threshold, histogram, blockSums } = acc;
  const pixels = width * height;
  const side = elaBlockSide(width, height);
  const blocksX = Math.ceil(width / side);
  const blocksY = Math.ceil(height / side);
  let max = 0;
  for (let level = 255; level > 0; level--) {
    if (histogram[level]! > 0) {
      max = level;
      break;
    }
  }

  const rank = Math.ceil(0.99 * pixels);
  let p99 = 0;
  let seen = 0;
  let high = 0;
  for (let level = 0; level < 256; level++) {
    const count = histogram[level]!;
    if (seen < rank) {
      seen += count;
      p99 = level;
    }
    if (level > threshold) high += count;
  }

  return {
    mean: acc.channelSum / (pixels * 3),
    p99,
    max,
    highShare: high / pixels,
    topRegion: findTopRegion(blockSums, { width, height, side, blocksX, blocksY }),
  };
}

interface BlockGrid {
  width: number;
  height: number;
  side: number;
  blocksX: number;
  blocksY: number;
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function blockPixelCount(grid: BlockGrid, bx: number, by: number): number {
  const w = Math.min(grid.width, (bx + 1) * grid.side) - bx * grid.side;
  const h = Math.min(grid.height, (by + 1) * grid.side) - by * grid.side;
  return w * h;
}

function findTopRegion(blockSums: Float64Array, grid: BlockGrid): TopRegion | null {
  const { blocksX, blocksY, side } = grid;
  const blockCount = blocksX * blocksY;
  // Edge blocks are smaller, so compare means, not sums.
  const blockMeans = new Float64Array(blockCount);
  let best = -1;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      const k = by * blocksX + bx;
      blockMeans[k] = blockSums[k]! / blockPixelCount(grid, bx, by);
      if (best < 0 || blockMeans[k]! > blockMeans[best]!) best = k;
    }
  }

  const peak = blockMeans[best]!;
  const standsOut = Math.max(REGION_MEDIAN_FACTOR * median(blockMeans), REGION_MIN_LEVEL);
  if (!(peak > standsOut)) return null;
  const level = Math.max(standsOut, REGION_PEAK_SHARE * peak);

  // Flood fill over the block grid (explicit stack: regions can span thousands of blocks).
  const inRegion = new Uint8Array(blockCount);
  const stack = [best];
  inRegion[best] = 1;
  let minBx = blocksX;
  let minBy = blocksY;
  let maxBx = -1;
  let maxBy = -1;
  const visit = (nx: number, ny: number): void => {
    if (nx < 0 || ny < 0 || nx >= blocksX || ny >= blocksY) return;
    const n = ny * blocksX + nx;
    if (inRegion[n] || !(blockMeans[n]! > level)) return;
    inRegion[n] = 1;
    stack.push(n);
  };
  while (stack.length > 0) {
    const k = stack.pop()!;
    const bx = k % blocksX;
    const by = (k - bx) / blocksX;
    if (bx < minBx) minBx = bx;
    if (bx > maxBx) maxBx = bx;
    if (by < minBy) minBy = by;
    if (by > maxBy) maxBy = by;
    visit(bx - 1, by);
    visit(bx + 1, by);
    visit(bx, by - 1);
    visit(bx, by + 1);
  }

  // meanError describes the box that is reported (and drawn), including any quieter blocks the
  // box takes in when the region is not rectangular.
  let boxSum = 0;
  for (let by = minBy; by <= maxBy; by++) {
    for (let bx = minBx; bx <= maxBx; bx++) boxSum += blockSums[by * blocksX + bx]!;
  }
  const x = minBx * side;
  const y = minBy * side;
  const width = Math.min(grid.width, (maxBx + 1) * side) - x;
  const height = Math.min(grid.height, (maxBy + 1) * side) - y;
  return { x, y, width, height, meanError: boxSum / (width * height) };
}
