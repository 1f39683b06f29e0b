// Per-channel histograms for the inspector. Besides the bars, two numbers examiners read from
// them: clipping (shares at 0 and 255) and combing (empty levels inside the used range), the
// gaps a levels/curves adjustment or a bit-depth reduction leaves behind.

import { assertPixelImage, LUMA_WEIGHTS, type PixelImage } from './pixels';

export interface ChannelStats {
  min: number;
  max: number;
  mean: number;
  median: number;
  /** Share (0..1) of pixels at level 0 and at 255. */
  clippedLow: number;
  clippedHigh: number;
  /** Share (0..1) of empty levels strictly between min and max ("combing"). */
  emptyInRange: number;
}

export interface ChannelHistograms {
  pixels: number;
  red: Uint32Array;
  green: Uint32Array;
  blue: Uint32Array;
  /** Rounded BT.601 luma. */
  luma: Uint32Array;
  stats: { red: ChannelStats; green: ChannelStats; blue: ChannelStats; luma: ChannelStats };
}

export function channelStats(histogram: Uint32Array, pixels: number): ChannelStats {
  let min = -1;
  let max = -1;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    const c = histogram[v]!;
    if (c === 0) continue;
    if (min < 0) min = v;
    max = v;
    sum += c * v;
  }
  if (pixels === 0 || min < 0) return { min: 0, max: 0, mean: 0, median: 0, clippedLow: 0, clippedHigh: 0, emptyInRange: 0 };
  let median = 0;
  for (let v = 0, seen = 0; v < 256; v++) {
    seen += histogram[v]!;
    if (seen * 2 >= pixels) {
      median = v;
      break;
    }
  }
  let empty = 0;
  for (let v = min + 1; v < max; v++) if (histogram[v] === 0) empty++;
  const inner = Math.max(0, max - min - 1);
  return {
    min,
    max,
    mean: sum / pixels,
    median,
    clippedLow: histogram[0]! / pixels,
    clippedHigh: histogram[255]! / pixels,
    emptyInRange: inner === 0 ? 0 : empty / inner,
  };
}

/** Histograms of R, G, B and luma with their statistics, in one pass. */
export function channelHistograms(image: PixelImage): ChannelHistograms {
  assertPixelImage(image);
  const { width, height, channels, data } = image;
  const red = new Uint32Array(256);
  const green = new Uint32Array(256);
  const blue = new Uint32Array(256);
  const luma = new Uint32Array(256);
  const n = width * height;
  for (let p = 0, i = 0; p < n; p++, i += channels) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    red[r]!++;
    green[g]!++;
    blue[b]!++;
    luma[Math.round(LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b)]!++;
  }
  return {
    pixels: n,
    red,
    green,
    blue,
    luma,
    stats: { red: channelStats(red, n), green: channelStats(green, n), blue: channelStats(blue, n), luma: channelStats(luma, n) },
  };
}
