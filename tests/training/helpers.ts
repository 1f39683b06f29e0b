// Shared by the training tests: labelled image folders written as real PNG files, and the
// Python environment (found once per test file).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { PythonEnvironment } from '../../src/contract/training';
import { findPython } from '../../src/main/training/python';
import { SCRIPTS_DIR } from '../config';
import { pixels } from '../inference/images';

export interface FolderSpec {
  perLabel: number;
  size: number;
  /** Noise amplitude (0..255 levels) of each class. */
  realNoise: number;
  fakeNoise: number;
  seed?: number;
}

/** <dir>/real/*.png and <dir>/fake/*.png; the classes differ only in their noise level. */
export async function makeLabelledFolder(dir: string, spec: FolderSpec): Promise<string[]> {
  const written: string[] = [];
  const seed = spec.seed ?? 1;
  for (const [label, noise, offset] of [['real', spec.realNoise, 0], ['fake', spec.fakeNoise, 1000]] as const) {
    mkdirSync(join(dir, label), { recursive: true });
    for (let i = 0; i < spec.perLabel; i++) {
      const path = join(dir, label, `${label}-${String(i).padStart(3, '0')}.png`);
      await sharp(pixels(spec.size, spec.size, seed * 7919 + offset + i, noise), { raw: { width: spec.size, height: spec.size, channels: 3 } }).png().toFile(path);
      written.push(path);
    }
  }
  return written;
}

let environment: Promise<PythonEnvironment> | undefined;

/** The Python the trainer would use here, or the reason a test must skip. */
export async function pythonForTests(): Promise<{ env: PythonEnvironment & { found: true } } | { skip: string }> {
  // The candidates a user's machine would try; PROVENANCE_PYTHON is honoured as the app honours it.
  environment ??= findPython({ python: process.env.PROVENANCE_PYTHON, pythonFrom: 'env', scriptsDir: SCRIPTS_DIR });
  const env = await environment;
  if (env.found) return { env };
  return { skip: `no Python with torch + torchvision on this machine (${env.probes.map((p) => `${p.command}: ${p.problem}`).join('; ')}). ${env.install}` };
}
