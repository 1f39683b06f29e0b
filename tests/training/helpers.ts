// Shared by the training tests: labelled image folders written as real PNG files, and the
// Python environment (found once per test file).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { PythonEnvironment } from '../../src/contract/training';
import type { ModelManifest } from '../../src/main/inference/manifest';
import { findPython } from '../../src/main/training/python';
import type { NewVersion } from '../../src/main/training/versions';
import { MODELS_DIR, SCRIPTS_DIR } from '../config';
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

/**
 * A trained version of `modelId` made of a committed fixture's files (`from`, default the same
 * id): what registerVersion takes, as the head training would register it.
 */
export function fixtureVersion(modelId = 'fixture-texture-cnn', options: { from?: string; note?: string; fixture?: boolean } = {}): NewVersion {
  const from = options.from ?? modelId;
  const manifest = JSON.parse(readFileSync(join(MODELS_DIR, from, 'manifest.json'), 'utf8')) as ModelManifest;
  const summary = { count: 4, real: 2, fake: 2, sha256: 'a'.repeat(64) };
  return {
    modelId,
    source: 'head',
    parent: { modelId: from, version: null, sha256: manifest.sha256 },
    jobSha256: 'b'.repeat(64),
    job: { kind: 'test' },
    data: { train: summary, val: summary },
    metrics: { trainer: null, detector: null },
    baseline: null,
    parity: null,
    history: [],
    note: options.note,
    files: { onnx: join(MODELS_DIR, from, 'model.onnx'), manifest: { ...manifest, fixture: options.fixture ?? manifest.fixture } },
  };
}
