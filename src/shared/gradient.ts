// Luminance gradient (as in Forensically): the direction and strength of brightness change at
// every pixel. Light falls smoothly across a real scene, so a pasted object often shows edges or
// shading whose gradients do not continue those around it. Cheap enough to recompute per slider move.

import { assertPixelImage, clampByte, lumaPlane, newRgba, type PixelImage, type RgbaImage } from './pixels';

export interface GradientOptions {
  /** Gain on the gradient (Sobel units / 4) before display; 1 shows a 64-level step at mid-scale. */
  intensity: number;
  /**
   * 'direction': red = horizontal, green = vertical gradient around mid-grey, blue = magnitude
   * (a normal-map look where the direction of light is readable); 'magnitude': grey strength only.
   */
  mode: 'direction' | 'magnitude';
}

export const DEFAULT_GRADIENT_OPTIONS: Readonly<GradientOptions> = Object.freeze({ intensity: 1, mode: 'direction' });

/** Sobel gradients of the luma plane (replicated borders), in levels per pixel. */
export function lumaGradients(image: PixelImage): { gx: Float32Array; gy: Float32Array } {
  const { width: w, height: h } = image;
  const y = lumaPlane(image);
  const gx = new Float32Array(w * h);
  const gy = new Float32Array(w * h);
  for (let r = 0; r < h; r++) {
    const up = (r > 0 ? r - 1 : 0) * w;
    const mid = r * w;
    const dn = (r < h - 1 ? r + 1 : h - 1) * w;
    for (let c = 0; c < w; c++) {
      const l = c > 0 ? c - 1 : 0;
      const rt = c < w - 1 ? c + 1 : w - 1;
      // Sobel kernels, normalised by 8 so a unit ramp gives a gradient of 1 level per pixel.
      gx[mid + c] = (y[up + rt]! + 2 * y[mid + rt]! + y[dn + rt]! - y[up + l]! - 2 * y[mid + l]! - y[dn + l]!) / 8;
      gy[mid + c] = (y[dn + l]! + 2 * y[dn + c]! + y[dn + rt]! - y[up + l]! - 2 * y[up + c]! - y[up + rt]!) / 8;
    }
  }
  return { gx, gy };
}

/** Renders precomputed gradients: the slider step, no convolution. */
export function renderGradient(
  gradients: { gx: Float32Array; gy: Float32Array },
  width: number,
  height: number,
  options: GradientOptions = DEFAULT_GRADIENT_OPTIONS,
): RgbaImage {
  const { intensity, mode } = options;
  if (!(intensity > 0) || !Number.isFinite(intensity)) throw new RangeError(`Gradient intensity must be above 0, got ${intensity}.`);
  const out = newRgba(width, height);
  const { gx, gy } = gradients;
  const gain = 2 * intensity;
  for (let p = 0, o = 0; p < width * height; p++, o += 4) {
    const x = gx[p]!;
    const y = gy[p]!;
    const m = Math.sqrt(x * x + y * y) * gain;
    if (mode === 'magnitude') {
      out.data[o] = out.data[o + 1] = out.data[o + 2] = clampByte(m);
    } else {
      out.data[o] = clampByte(128 + x * gain);
      out.data[o + 1] = clampByte(128 + y * gain);
      out.data[o + 2] = clampByte(m);
    }
    out.data[o + 3] = 255;
  }
  return out;
}

/** Gradient image in one call (computes the gradients, then renders them). */
export function luminanceGradient(image: PixelImage, options: GradientOptions = DEFAULT_GRADIENT_OPTIONS): RgbaImage {
  assertPixelImage(image);
  return renderGradient(lumaGradients(image), image.width, image.height, options);
}
