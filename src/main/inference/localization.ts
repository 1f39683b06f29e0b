// The tamper heatmap of a localisation model (ModelScore.localization): decoded, resampled onto
// the image (bilinear, so a 32×32 map does not show as blocks), rendered as a translucent overlay
// PNG, or thresholded into a mask for pixel-level evaluation.
import sharp from 'sharp';
import type { LocalizationMap } from '../../contract/evidence';
import { INFERNO_LUT } from '../analysis/colormap';

/** Probabilities 0..1, row by row, width × height. */
export function decodeLocalization(map: LocalizationMap): Float32Array {
  const bytes = Buffer.from(map.values, 'base64');
  if (bytes.length !== map.width * map.height) throw new Error(`localisation map holds ${bytes.length} values, expected ${map.width}×${map.height}`);
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/**
 * The map resampled to a width × height picture of the whole image: each pixel's probability,
 * bilinear between cell centres (half-pixel alignment, as the models' own upsampling), 0 outside
 * the map's region.
 */
export function resampleLocalization(map: LocalizationMap, imageWidth: number, imageHeight: number, width: number, height: number): Float32Array {
  const p = decodeLocalization(map);
  const out = new Float32Array(width * height);
  const { region } = map;
  const sx = imageWidth / width;
  const sy = imageHeight / height;
  for (let y = 0; y < height; y++) {
    // Image coordinate of this pixel's centre, then position in map cells.
    const iy = (y + 0.5) * sy;
    if (iy < region.y || iy >= region.y + region.height) continue;
    const my = Math.min(map.height - 1, Math.max(0, ((iy - region.y) / region.height) * map.height - 0.5));
    const y0 = Math.floor(my);
    const y1 = Math.min(map.height - 1, y0 + 1);
    const fy = my - y0;
    for (let x = 0; x < width; x++) {
      const ix = (x + 0.5) * sx;
      if (ix < region.x || ix >= region.x + region.width) continue;
      const mx = Math.min(map.width - 1, Math.max(0, ((ix - region.x) / region.width) * map.width - 0.5));
      const x0 = Math.floor(mx);
      const x1 = Math.min(map.width - 1, x0 + 1);
      const fx = mx - x0;
      const top = p[y0 * map.width + x0] * (1 - fx) + p[y0 * map.width + x1] * fx;
      const bottom = p[y1 * map.width + x0] * (1 - fx) + p[y1 * map.width + x1] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Below this probability the overlay is fully transparent; it is opaque from OPAQUE_AT up. */
export const OVERLAY_FLOOR = 0.2;
const OPAQUE_AT = 0.8;
const MAX_ALPHA = 210;

/**
 * An RGBA PNG of the image's aspect ratio (longer side at most `maxSide`): inferno colours where
 * the model sees an edit, transparent where it does not, for laying over the photo.
 */
export async function renderLocalizationOverlay(map: LocalizationMap, imageWidth: number, imageHeight: number, maxSide = 1024): Promise<Buffer> {
  const scale = Math.min(1, maxSide / Math.max(imageWidth, imageHeight));
  const width = Math.max(1, Math.round(imageWidth * scale));
  const height = Math.max(1, Math.round(imageHeight * scale));
  const p = resampleLocalization(map, imageWidth, imageHeight, width, height);
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    const level = Math.round(Math.min(1, Math.max(0, v)) * 255);
    rgba[4 * i] = INFERNO_LUT[level * 3];
    rgba[4 * i + 1] = INFERNO_LUT[level * 3 + 1];
    rgba[4 * i + 2] = INFERNO_LUT[level * 3 + 2];
    rgba[4 * i + 3] = Math.round(MAX_ALPHA * Math.min(1, Math.max(0, (v - OVERLAY_FLOOR) / (OPAQUE_AT - OVERLAY_FLOOR))));
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 6 }).toBuffer();
}
