// Real test pictures for the inference tests: written as JPEG/PNG files with sharp, then
// decoded back the way ingest does (orientation applied, alpha flattened, 8-bit RGB).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DecodedImage } from '../../src/main/ingest/decoded';

/** Seeded pixels: a gradient, a few blocks and noise of the given strength (0..255 levels). */
export function pixels(width: number, height: number, seed: number, noise: number): Buffer {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const data = Buffer.alloc(width * height * 3);
  const blocks = Array.from({ length: 4 }, () => ({ x: rand() * width, y: rand() * height, r: 4 + rand() * 20, c: [rand() * 255, rand() * 255, rand() * 255] }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 40 + (160 * (x + y)) / (width + height) + c * 20;
        for (const b of blocks) if (Math.abs(x - b.x) < b.r && Math.abs(y - b.y) < b.r) v = b.c[c];
        v += (rand() - 0.5) * 2 * noise;
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return data;
}

export async function decode(path: string): Promise<DecodedImage> {
  const { data, info } = await sharp(path).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

export interface TestPictures {
  dir: string;
  /** Writes a JPEG (quality given) or PNG, returns it decoded. */
  make(name: string, width: number, height: number, seed: number, noise: number, format: 'jpeg' | 'png', quality?: number): Promise<DecodedImage>;
  cleanup(): void;
}

export function testPictures(): TestPictures {
  const dir = mkdtempSync(join(tmpdir(), 'provenance-inference-'));
  return {
    dir,
    async make(name, width, height, seed, noise, format, quality = 90) {
      const path = join(dir, `${name}.${format === 'jpeg' ? 'jpg' : 'png'}`);
      const img = sharp(pixels(width, height, seed, noise), { raw: { width, height, channels: 3 } });
      await (format === 'jpeg' ? img.jpeg({ quality }) : img.png()).toFile(path);
      return decode(path);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
