// The magnifier's pixel step: a nearest-neighbour enlargement of a small window around the cursor,
// so individual pixels (and JPEG 8×8 blocks) stay sharp instead of being smoothed by the browser.

import { assertPixelImage, newRgba, type PixelImage, type RgbaImage } from './pixels';

export interface MagnifierWindow {
  /** Centre of the window in image pixels. */
  x: number;
  y: number;
  /** Side of the square window in image pixels (before enlargement). */
  side: number;
  /** Whole-number enlargement factor. */
  zoom: number;
}

/** Pixels outside the image come out transparent, so the lens shows where the picture ends. */
export function magnify(image: PixelImage, window: MagnifierWindow): RgbaImage {
  assertPixelImage(image);
  const { side, zoom } = window;
  if (!Number.isInteger(side) || side < 1) throw new RangeError(`Magnifier side must be a whole number of pixels, got ${side}.`);
  if (!Number.isInteger(zoom) || zoom < 1 || zoom > 64) throw new RangeError(`Magnifier zoom must be a whole number 1..64, got ${zoom}.`);
  const { width, height, channels, data } = image;
  const x0 = Math.round(window.x) - Math.floor(side / 2);
  const y0 = Math.round(window.y) - Math.floor(side / 2);
  const outSide = side * zoom;
  const out = newRgba(outSide, outSide);
  for (let oy = 0; oy < outSide; oy++) {
    const sy = y0 + Math.floor(oy / zoom);
    for (let ox = 0; ox < outSide; ox++) {
      const sx = x0 + Math.floor(ox / zoom);
      const o = (oy * outSide + ox) * 4;
      if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
      const i = (sy * width + sx) * channels;
      out.data[o] = data[i]!;
      out.data[o + 1] = data[i + 1]!;
      out.data[o + 2] = data[i + 2]!;
      out.data[o + 3] = 255;
    }
  }
  return out;
}
