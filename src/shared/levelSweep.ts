// Level sweep (as in Forensically): stretch a narrow band of brightness levels to full contrast
// and move the band through the range. Edges of a pasted object that blend in at normal contrast
// appear and disappear at a different point of the sweep than the surroundings.

import { assertPixelImage, newRgba, type PixelImage, type RgbaImage } from './pixels';

export interface LevelSweepOptions {
  /** Centre of the band, 0..255. */
  position: number;
  /** Width of the band in levels, 1..255; levels below go black, above go white. */
  width: number;
  /** Stretch each channel ('colour') or the luma only ('luma', grey output). */
  mode: 'colour' | 'luma';
}

export const DEFAULT_LEVEL_SWEEP_OPTIONS: Readonly<LevelSweepOptions> = Object.freeze({ position: 128, width: 32, mode: 'colour' });

/** The 256-entry stretch table for a band: what one slider move recomputes. */
export function levelSweepLut(position: number, width: number): Uint8ClampedArray {
  if (!Number.isFinite(position) || position < 0 || position > 255) throw new RangeError(`Level sweep position must be 0..255, got ${position}.`);
  if (!Number.isFinite(width) || width < 1 || width > 255) throw new RangeError(`Level sweep width must be 1..255, got ${width}.`);
  const lut = new Uint8ClampedArray(256);
  const low = position - width / 2;
  for (let v = 0; v < 256; v++) lut[v] = Math.round(((v - low) / width) * 255); // clamped by the array type
  return lut;
}

export function levelSweep(image: PixelImage, options: LevelSweepOptions = DEFAULT_LEVEL_SWEEP_OPTIONS): RgbaImage {
  assertPixelImage(image);
  const { width, height, channels, data } = image;
  const lut = levelSweepLut(options.position, options.width);
  const out = newRgba(width, height);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += channels, o += 4) {
    if (options.mode === 'luma') {
      const y = Math.round(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
      out.data[o] = out.data[o + 1] = out.data[o + 2] = lut[y]!;
    } else {
      out.data[o] = lut[data[i]!]!;
      out.data[o + 1] = lut[data[i + 1]!]!;
      out.data[o + 2] = lut[data[i + 2]!]!;
    }
    out.data[o + 3] = 255;
  }
  return out;
}
