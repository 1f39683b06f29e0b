// Real labelled datasets for the evaluation tests and the benchmark: JPEGs of natural-ish scenes
// (tests/fixtures/images.ts) written with sharp into the folder layouts the importer reads.
// "Fake" images get more pixel noise: the fixture texture model scores noisy images higher, so
// its metrics are neither perfect nor chance, and blurring (which removes noise) moves them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeJpeg, makeNaturalPixels, seededRandom } from '../fixtures/images';

export function tempDir(prefix = 'pl-eval-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface SceneSpec {
  seed: number;
  /** Extra noise amplitude in grey levels (sum of three uniforms, so roughly Gaussian). */
  noise: number;
  width?: number;
  height?: number;
  quality?: number;
}

/** Writes one JPEG scene with extra noise; returns the path. */
export async function makeScene(file: string, spec: SceneSpec): Promise<string> {
  const width = spec.width ?? 96;
  const height = spec.height ?? 96;
  const px = makeNaturalPixels(width, height, spec.seed);
  const rnd = seededRandom(spec.seed * 7919 + 13);
  for (let i = 0; i < px.length; i++) {
    const v = px[i] + (rnd() + rnd() + rnd() - 1.5) * spec.noise;
    px[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: spec.quality ?? 92 }).toFile(file);
  return file;
}

/**
 * Noise for the i-th image of a class: real images 0..16, fakes 12..32, so the classes overlap
 * (the fixture model confuses some) but fakes score higher on average.
 */
export function noiseFor(label: 0 | 1, i: number, count: number): number {
  const t = count > 1 ? i / (count - 1) : 0.5;
  return label === 0 ? 16 * t : 12 + 20 * t;
}

/** A small JPEG for layout tests where pixels do not matter. */
export async function tinyJpeg(file: string, seed = 1): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return makeJpeg(file, { width: 24, height: 16, seed, quality: 80 });
}

/**
 * CNNDetection layout: <root>/<generator>/[<category>/]0_real|1_fake/<n>.jpg, `perClass` images of
 * each label per generator (and category). Returns the root.
 */
export async function makeCnnDetectionSet(
  root: string,
  opts: { generators: string[]; perClass: number; categories?: string[]; size?: number; tiny?: boolean },
): Promise<string> {
  let seed = 1;
  for (const generator of opts.generators) {
    for (const category of opts.categories ?? [undefined]) {
      for (const [label, folder] of [[0, '0_real'], [1, '1_fake']] as const) {
        for (let i = 0; i < opts.perClass; i++) {
          const file = path.join(root, generator, ...(category ? [category] : []), folder, `${String(i).padStart(4, '0')}.jpg`);
          if (opts.tiny) await tinyJpeg(file, seed++);
          else await makeScene(file, { seed: seed++, noise: noiseFor(label, i, opts.perClass), width: opts.size, height: opts.size });
        }
      }
    }
  }
  return root;
}
