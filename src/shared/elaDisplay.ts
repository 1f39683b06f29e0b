// The cheap half of ELA (Sherloq's split): the engine computes the unscaled per-channel error
// once; scale and contrast are applied here for every slider move, with the same amplification
// and inferno colours as the engine's heatmap files.

import { INFERNO_LUT } from './colormap';
import { newRgba, type RgbaImage } from './pixels';

export interface ElaDisplayOptions {
  /** Multiplier on the unscaled error, as the engine's ELA `scale`. */
  scale: number;
  /**
   * Gamma-like lift of faint errors after scaling: 1 = linear (matches the heatmap files),
   * 2 = a level at 25% of full scale shows at 50%.
   */
  contrast: number;
  /** 'heatmap': max-channel error in inferno (as the files); 'colour': per-channel error as RGB. */
  mode: 'heatmap' | 'colour';
}

export const DEFAULT_ELA_DISPLAY_OPTIONS: Readonly<ElaDisplayOptions> = Object.freeze({ scale: 15, contrast: 1, mode: 'heatmap' });

/** 256-entry table: unscaled error → display level, for one scale/contrast setting. */
export function elaDisplayLut(scale: number, contrast: number): Uint8Array {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`ELA display scale must be above 0, got ${scale}.`);
  if (!(contrast > 0) || !Number.isFinite(contrast)) throw new RangeError(`ELA display contrast must be above 0, got ${contrast}.`);
  const lut = new Uint8Array(256);
  for (let e = 0; e < 256; e++) {
    const linear = Math.min(255, Math.round(e * scale));
    lut[e] = contrast === 1 ? linear : Math.round(255 * Math.pow(linear / 255, 1 / contrast));
  }
  return lut;
}

/** `diff`: unscaled per-channel ELA error, RGB interleaved, width × height × 3 bytes. */
export function elaDisplay(diff: ArrayLike<number>, width: number, height: number, options: ElaDisplayOptions = DEFAULT_ELA_DISPLAY_OPTIONS): RgbaImage {
  if (diff.length !== width * height * 3) throw new RangeError(`ELA difference must hold ${width * height * 3} bytes for ${width}x${height}, got ${diff.length}.`);
  const lut = elaDisplayLut(options.scale, options.contrast);
  const out = newRgba(width, height);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += 3, o += 4) {
    const r = diff[i]!, g = diff[i + 1]!, b = diff[i + 2]!;
    if (options.mode === 'heatmap') {
      const c = lut[r > g ? (r > b ? r : b) : g > b ? g : b]! * 3;
      out.data[o] = INFERNO_LUT[c]!;
      out.data[o + 1] = INFERNO_LUT[c + 1]!;
      out.data[o + 2] = INFERNO_LUT[c + 2]!;
    } else {
      out.data[o] = lut[r]!;
      out.data[o + 1] = lut[g]!;
      out.data[o + 2] = lut[b]!;
    }
    out.data[o + 3] = 255;
  }
  return out;
}
