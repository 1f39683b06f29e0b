// Crafted forgeries for the forensic analysis tests: real JPEG/PNG files made with sharp from
// real photographs (../shared, when present) or the synthetic natural scenes of the fixture
// factory, edited the way forgers do (paste, clone, rotate-and-scale clone, re-save, crop).

import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { seededRandom } from '../../src/main/random';
import { makeNaturalPixels } from '../fixtures/images';

/** The shared datasets folder (read-only), or null when this checkout has none. */
export const SHARED_DIR = (() => {
  const candidate = process.env.PROVENANCE_SHARED ?? path.resolve(import.meta.dirname, '../../../shared');
  return fs.existsSync(path.join(candidate, 'datasets')) ? candidate : null;
})();

/** Absolute path of a shared dataset file, or null (tests then skip, saying why). */
export function sharedFile(relative: string): string | null {
  if (!SHARED_DIR) return null;
  const p = path.join(SHARED_DIR, 'datasets', relative);
  return fs.existsSync(p) ? p : null;
}

export const NO_SHARED = 'needs ../shared/datasets (the shared datasets folder is absent)';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export async function decode(input: Buffer | string): Promise<DecodedImage> {
  const { data, info } = await sharp(input).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** Plain libjpeg settings (standard tables, 4:2:0), as cameras and most software write. */
export async function encodeJpeg(image: DecodedImage, quality: number, options: { mozjpeg?: boolean } = {}): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: options.mozjpeg ?? false })
    .toBuffer();
}

export async function encodePng(image: DecodedImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}

export function clone(image: DecodedImage): DecodedImage {
  return { ...image, data: Buffer.from(image.data) };
}

/** A synthetic natural scene (sky, textured ground, shapes, mild noise), never compressed. */
export function naturalImage(width: number, height: number, seed: number): DecodedImage {
  return { data: makeNaturalPixels(width, height, seed), width, height, channels: 3 };
}

/** Copies `rect` of `source` to (`to.x`, `to.y`) of `target`, in place. */
export function paste(target: DecodedImage, source: DecodedImage, rect: Rect, to: { x: number; y: number }): void {
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * source.width + rect.x) * 3;
    source.data.copy(target.data, ((to.y + y) * target.width + to.x) * 3, from, from + rect.width * 3);
  }
}

/** Adds roughly Gaussian noise of `sigma` levels to every channel inside `rect`, in place. */
export function addNoise(image: DecodedImage, rect: Rect, sigma: number, seed: number): void {
  const rand = seededRandom(seed);
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * image.width + x) * 3 + c;
        const g = (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3) * sigma;
        image.data[i] = Math.max(0, Math.min(255, Math.round(image.data[i]! + g)));
      }
    }
  }
}

/**
 * Pastes a disc of `radius` around `from`, rotated by `degrees` and scaled by `scale`, centred at
 * `to` (bilinear resampling, as an editor's free transform does).
 */
export function pasteRotated(image: DecodedImage, from: { x: number; y: number }, radius: number, degrees: number, scale: number, to: { x: number; y: number }): void {
  const src = Buffer.from(image.data);
  const a = (degrees * Math.PI) / 180;
  const R = radius * scale;
  for (let dy = -Math.ceil(R); dy <= Math.ceil(R); dy++) {
    for (let dx = -Math.ceil(R); dx <= Math.ceil(R); dx++) {
      if (dx * dx + dy * dy > R * R) continue;
      const X = to.x + dx, Y = to.y + dy;
      if (X < 0 || Y < 0 || X >= image.width || Y >= image.height) continue;
      // Inverse map: the target offset, rotated back and unscaled, gives the source position.
      const u = (Math.cos(a) * dx + Math.sin(a) * dy) / scale;
      const v = (-Math.sin(a) * dx + Math.cos(a) * dy) / scale;
      const sx = from.x + u, sy = from.y + v;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const fx = sx - x0, fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => src[(yy * image.width + xx) * 3 + c]!;
        const value = (p(y0, x0) * (1 - fx) + p(y0, x0 + 1) * fx) * (1 - fy) + (p(y0 + 1, x0) * (1 - fx) + p(y0 + 1, x0 + 1) * fx) * fy;
        image.data[(Y * image.width + X) * 3 + c] = Math.round(value);
      }
    }
  }
}

/**
 * The `size`×`size` block (on a `size`/2 grid) inside `area` with the most structure: variance of
 * its 4×4-pixel means, so objects and edges count and fine stochastic texture (gravel, foliage,
 * whose patches all look alike) does not.
 */
export function mostTextured(image: DecodedImage, size: number, area: Rect): { x: number; y: number } {
  const cell = 4;
  let best = { x: area.x, y: area.y, v: -1 };
  for (let y = area.y; y + size <= area.y + area.height; y += size / 2) {
    for (let x = area.x; x + size <= area.x + area.width; x += size / 2) {
      let s = 0, s2 = 0, n = 0;
      for (let cy = y; cy + cell <= y + size; cy += cell) {
        for (let cx = x; cx + cell <= x + size; cx += cell) {
          let m = 0;
          for (let yy = cy; yy < cy + cell; yy++) {
            for (let xx = cx; xx < cx + cell; xx++) {
              const i = (yy * image.width + xx) * 3;
              m += 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
            }
          }
          m /= cell * cell;
          s += m;
          s2 += m * m;
          n++;
        }
      }
      const v = s2 / n - (s / n) ** 2;
      if (v > best.v) best = { x, y, v };
    }
  }
  return { x: best.x, y: best.y };
}

/** Intersection over union of two rectangles. */
export function iou(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const inter = w > 0 && h > 0 ? w * h : 0;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** True when the rectangles overlap at all. */
export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Camera originals listed in the shared INDEX.csv (kind = camera), as [relative path, make]. */
export function cameraOriginals(): { file: string; make: string; path: string }[] {
  const index = sharedFile('cameras/INDEX.csv');
  if (!index) return [];
  return fs
    .readFileSync(index, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '')))
    .filter((cols) => cols[1] === 'camera')
    .map((cols) => ({ file: cols[0]!, make: cols[2]!, path: path.join(SHARED_DIR!, 'datasets', 'cameras', cols[0]!) }));
}

/**
 * A never-compressed picture with detail at every scale (value noise summed over octaves, 1/f
 * amplitudes, like foliage, rock or gravel), coloured: rich in keypoints and never repetitive.
 */
export function fractalImage(width: number, height: number, seed: number): DecodedImage {
  const rand = seededRandom(seed);
  const data = Buffer.alloc(width * height * 3);
  const acc = new Float32Array(width * height * 3);
  for (let octave = 0, cell = 64, amp = 60; octave < 6; octave++, cell /= 2, amp *= 0.6) {
    const gw = Math.ceil(width / cell) + 2, gh = Math.ceil(height / cell) + 2;
    const grid = new Float32Array(gw * gh * 3);
    for (let i = 0; i < grid.length; i++) grid[i] = (rand() - 0.5) * 2 * amp;
    for (let y = 0; y < height; y++) {
      const gy = y / cell, y0 = Math.floor(gy), fy = gy - y0;
      for (let x = 0; x < width; x++) {
        const gx = x / cell, x0 = Math.floor(gx), fx = gx - x0;
        for (let c = 0; c < 3; c++) {
          const g = (yy: number, xx: number) => grid[(yy * gw + xx) * 3 + c]!;
          acc[(y * width + x) * 3 + c]! += (g(y0, x0) * (1 - fx) + g(y0, x0 + 1) * fx) * (1 - fy) + (g(y0 + 1, x0) * (1 - fx) + g(y0 + 1, x0 + 1) * fx) * fy;
        }
      }
    }
  }
  const tint = [110 + rand() * 40, 100 + rand() * 40, 80 + rand() * 40];
  for (let i = 0; i < acc.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(tint[i % 3]! + acc[i]! * (0.7 + 0.3 * ((i % 3) === 0 ? 1 : 0.8)))));
  return { data, width, height, channels: 3 };
}
