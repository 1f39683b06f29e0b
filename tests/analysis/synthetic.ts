// Deterministic textured test pictures for ELA: smooth gradients (like sky and walls), flat
// shapes with hard edges (like objects) and sensor-like noise, so JPEG behaves as on photos.

import sharp from 'sharp';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { seededRandom } from '../../src/main/random';


const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

export interface TextureOptions {
  /** Standard deviation of the per-sample noise, in 0..255 levels. */
  noise?: number;
  shapes?: number;
}

/** Never-compressed RGB pixels: gradients + random rectangles/discs + approximately Gaussian noise. */
export function texturedImage(width: number, height: number, seed: number, opts: TextureOptions = {}): DecodedImage {
  const rand = seededRandom(seed);
  const noise = opts.noise ?? 6;
  const base = [rand() * 255, rand() * 255, rand() * 255];
  const slope = [rand() * 160 - 80, rand() * 160 - 80, rand() * 160 - 80];
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const i = (y * width + x) * 3;
      data[i] = clampByte(base[0]! + slope[0]! * u);
      data[i + 1] = clampByte(base[1]! + slope[1]! * v);
      data[i + 2] = clampByte(base[2]! + slope[2]! * (u + v) * 0.5);
    }
  }
  const shapes = opts.shapes ?? 12;
  for (let s = 0; s < shapes; s++) {
    const colour = [rand() * 255, rand() * 255, rand() * 255];
    const cx = rand() * width;
    const cy = rand() * height;
    const r = (0.04 + rand() * 0.12) * Math.min(width, height);
    const disc = rand() < 0.5;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(height, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(width, Math.ceil(cx + r)); x++) {
        if (disc && (x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        const i = (y * width + x) * 3;
        data[i] = clampByte(colour[0]!);
        data[i + 1] = clampByte(colour[1]!);
        data[i + 2] = clampByte(colour[2]!);
      }
    }
  }
  if (noise > 0) {
    for (let i = 0; i < data.length; i++) {
      // Sum of four uniforms: cheap, bell-shaped, variance 4/12 -> scale to the requested sigma.
      const g = (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3);
      data[i] = clampByte(data[i]! + g * noise);
    }
  }
  return { data, width, height, channels: 3 };
}

/** Encodes as JPEG at `quality` with plain libjpeg settings and decodes back, as a camera file would be read. */
export async function jpegRoundTrip(image: DecodedImage, quality: number): Promise<DecodedImage> {
  const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
  return decodeFile(jpeg);
}

/** Decodes an encoded image (buffer or path) to 8-bit RGB, the way ingest hands pixels over. */
export async function decodeFile(input: Buffer | string): Promise<DecodedImage> {
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** Copies a rectangle of `source` into `target` at the same position (in place). */
export function pasteRect(
  target: DecodedImage,
  source: DecodedImage,
  rect: { x: number; y: number; width: number; height: number },
): void {
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const from = (y * source.width + rect.x) * 3;
    source.data.copy(target.data, (y * target.width + rect.x) * 3, from, from + rect.width * 3);
  }
}
