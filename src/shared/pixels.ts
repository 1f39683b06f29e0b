// Pixel buffers as both sides hold them: the engine has RGB Buffers from sharp, the renderer has
// RGBA ImageData from a canvas. Pure code, no Node or DOM imports.

/** Interleaved 8-bit pixels, 3 (RGB) or 4 (RGBA, alpha ignored by every filter) channels. */
export interface PixelImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: ArrayLike<number>;
}

/** What every display filter returns: RGBA ready for `new ImageData(data, width, height)`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export function assertPixelImage(image: PixelImage, what = 'image'): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`${what} needs a positive whole-number size, got ${width}x${height}.`);
  }
  if ((channels !== 3 && channels !== 4) || data.length !== width * height * channels) {
    throw new RangeError(
      `${what} needs ${width * height * 3} (RGB) or ${width * height * 4} (RGBA) bytes for ${width}x${height}, got ${data.length} with ${channels} channels.`,
    );
  }
}

export function newRgba(width: number, height: number): RgbaImage {
  return { width, height, data: new Uint8ClampedArray(width * height * 4) };
}

/** ITU-R BT.601 luma weights, as JPEG's YCbCr uses: the Y plane a JPEG encoder quantises. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** Luma (0..255, unrounded) of every pixel, row-major. */
export function lumaPlane(image: PixelImage): Float32Array {
  assertPixelImage(image);
  const { width, height, channels, data } = image;
  const n = width * height;
  const out = new Float32Array(n);
  for (let p = 0, i = 0; p < n; p++, i += channels) {
    out[p] = LUMA_WEIGHTS[0] * data[i]! + LUMA_WEIGHTS[1] * data[i + 1]! + LUMA_WEIGHTS[2] * data[i + 2]!;
  }
  return out;
}

export function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
