// Training data for the shipped manipulation and face-swap detectors, from ../shared:
//
//   npx tsx scripts/prepare-training-data.ts manipulation --shared ../shared [--out training-data/manipulation]
//   npx tsx scripts/prepare-training-data.ts faces --shared ../shared [--out training-data/faces]
//
// Two steps. (1) Python (resources/training/synthesize.py) decides what the data is:
// forgeries with masks made from the authentic photos, or the DFDC face split; seeded, with
// duplicate checks, see its report.json. (2) This script turns every image into exactly the
// tensor the app will feed the model, with the app's own code (decode, ELA / SRM residuals,
// resize; face detection and cropping), and writes them as bytes for the trainer
// (provenance_train/prepared.py). The trainer never re-implements preprocessing, so a model
// cannot learn on pixels that differ from the ones it is later shown.
//
// Output, besides step 1's files: <out>/tensors/index.json (items, input variants with the
// manifest `input` and `preprocessing` they were made with, SHA-256 of every tensor file),
// <out>/tensors/<variant>.u8 (N × C × S × S bytes; the normalised input is (byte/255 − mean)/std)
// and, with masks, <out>/tensors/masks-<S/8>.u8 (N × (S/8)² bytes: tampered share of each cell
// × 255).
//
// Step 3 (unless --no-prefix): the outputs of the frozen ImageNet MobileNetV2 blocks the trainer
// keeps fixed, for every input and its mirror image, computed with onnxruntime (about ten times
// faster than the CPU build of PyTorch here) and stored as float16:
// <out>/tensors/<variant>.prefix<B>.s<stream>.<f8|f16>.f16, shape (2, N, C, H, W).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { parseCsv } from '../src/main/evaluation/dataset/csv';
import { decodeImage } from '../src/main/ingest/decode';
import { cropFace, FaceDetector } from '../src/main/inference/faces';
import type { ModelManifest } from '../src/main/inference/manifest';
import { faceTensor, preprocess } from '../src/main/inference/preprocess';
import { createSession } from '../src/main/inference/session';
import { findPython, pythonCommand } from '../src/main/training/python';

/** The trainer's Python scripts of this checkout (the script runs from the repository). */
const SCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'training');

const HALF: [number, number, number] = [0.5, 0.5, 0.5];
type InputSpec = Pick<ModelManifest, 'input' | 'preprocessing'>;

/** The model inputs the manipulation detectors are compared on (same images, same resize). */
export const MANIPULATION_INPUTS: Record<string, InputSpec> = {
  'ela-q90-256': {
    input: { name: 'input', width: 256, height: 256, channels: 3, layout: 'NCHW' },
    preprocessing: {
      mode: 'resize',
      resizeFit: 'fill',
      resizeKernel: 'linear',
      aggregate: 'mean',
      inputTransform: 'ela',
      elaQuality: 90,
      elaScale: 10,
      normalization: { mean: HALF, std: HALF },
    },
  },
  'rgb-srm-256': {
    input: { name: 'input', width: 256, height: 256, channels: 6, layout: 'NCHW' },
    preprocessing: {
      mode: 'resize',
      resizeFit: 'fill',
      resizeKernel: 'linear',
      aggregate: 'mean',
      inputTransform: 'rgb+noise',
      noiseScale: 8,
      normalization: { mean: HALF, std: HALF },
    },
  },
};

export const FACE_INPUTS: Record<string, InputSpec> = {
  'face-224': {
    input: { name: 'input', width: 224, height: 224, channels: 3, layout: 'NCHW' },
    preprocessing: {
      mode: 'face-crop',
      aggregate: 'max',
      inputTransform: 'none',
      face: { detector: 'ultraface-rfb-320', minScore: 0.7, nmsIou: 0.3, margin: 1.3, maxFaces: 8 },
      normalization: { mean: HALF, std: HALF },
    },
  },
};

interface Row {
  path: string;
  label: 'real' | 'fake';
  group: string;
  source: string;
  split: string;
  mask?: string;
  [key: string]: string | undefined;
}

interface IndexItem {
  path: string;
  label: 'real' | 'fake';
  group: string;
  source: string;
  split: string;
  sha256: string;
  mask?: string;
  /** Face data: the detector's confidence for the face that was cropped. */
  faceScore?: number;
}

function readCsvRows(file: string): Row[] {
  const [header, ...records] = parseCsv(readFileSync(file, 'utf8'));
  return records.map((r) => Object.fromEntries(header.fields.map((h, i) => [h, r.fields[i]])) as Row);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function specManifest(id: string, spec: InputSpec, task: ModelManifest['task']): ModelManifest {
  return {
    id,
    name: id,
    version: 'prep',
    task,
    fixture: false,
    description: 'training-data preparation',
    input: spec.input,
    outputs: { score: 'score' },
    scoreMeaning: 'probability_fake',
    preprocessing: spec.preprocessing,
    defaultThreshold: 0.5,
    provenance: { source: 'prep', licence: 'prep' },
    sha256: '0'.repeat(64),
  };
}

/** A normalised float tensor back to the bytes it came from (exact: the LUT was built from bytes). */
function toBytes(tensor: Float32Array, spec: InputSpec): Buffer {
  const { mean, std } = spec.preprocessing.normalization;
  const plane = spec.input.width * spec.input.height;
  const out = Buffer.alloc(tensor.length);
  for (let i = 0; i < tensor.length; i++) {
    const c = Math.floor(i / plane) % 3;
    out[i] = Math.min(255, Math.max(0, Math.round((tensor[i] * std[c] + mean[c]) * 255)));
  }
  return out;
}

/** A binary mask as the share of tampered pixels per cell of a size×size grid, × 255. */
async function maskCells(file: string, size: number): Promise<Buffer> {
  return sharp(file).greyscale().resize(size, size, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
}

class TensorWriter {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  count = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(bytes: Buffer): void {
    writeSync(this.fd, bytes);
    this.hash.update(bytes);
    this.count++;
  }
  close(): string {
    closeSync(this.fd);
    return this.hash.digest('hex');
  }
}

async function python(): Promise<[string, string[]]> {
  const env = await findPython({ scriptsDir: SCRIPTS_DIR, python: process.env.PROVENANCE_PYTHON, pythonFrom: 'env' });
  if (!env.found) throw new Error(`No Python with torch found for the data synthesis:\n${env.install}`);
  return pythonCommand(env.executable);
}

async function synthesize(what: 'manipulation' | 'faces', shared: string, out: string, extra: string[]): Promise<void> {
  const [exe, lead] = await python();
  const script = join(SCRIPTS_DIR, 'synthesize.py');
  console.error(`step 1: ${exe} ${script} ${what} --shared ${shared} --out ${out} ${extra.join(' ')}`);
  const r = spawnSync(exe, [...lead, script, what, '--shared', shared, '--out', out, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`synthesize.py ${what} failed (exit ${r.status})`);
}

async function manipulationTensors(out: string): Promise<void> {
  const rows = readCsvRows(join(out, 'items.csv'));
  const dir = join(out, 'tensors');
  mkdirSync(dir, { recursive: true });
  const variants = Object.entries(MANIPULATION_INPUTS).map(([name, spec]) => ({ name, spec, manifest: specManifest(name, spec, 'manipulated'), writer: new TensorWriter(join(dir, `${name}.u8`)) }));
  const cells = MANIPULATION_INPUTS['ela-q90-256'].input.width / 8;
  const masks = new TensorWriter(join(dir, `masks-${cells}.u8`));
  const items: IndexItem[] = [];
  const started = performance.now();
  for (const [i, row] of rows.entries()) {
    const file = join(out, row.path);
    const bytes = readFileSync(file);
    const image = await decodeImage(bytes, { maxPixels: 100_000_000, fileName: file });
    for (const v of variants) {
      const [tensor] = await preprocess(image, v.manifest);
      v.writer.write(toBytes(tensor, v.spec));
    }
    masks.write(row.mask ? await maskCells(join(out, row.mask), cells) : Buffer.alloc(cells * cells));
    items.push({ path: row.path, label: row.label, group: row.group, source: row.source, split: row.split, sha256: sha256(bytes), ...(row.mask ? { mask: row.mask } : {}) });
    if ((i + 1) % 100 === 0) console.error(`step 2: ${i + 1}/${rows.length} images, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const index = {
    version: 1,
    kind: 'manipulation',
    root: '..',
    items,
    variants: Object.fromEntries(variants.map((v) => [v.name, { file: `${v.name}.u8`, sha256: v.writer.close(), input: v.spec.input, preprocessing: v.spec.preprocessing }])),
    masks: { file: `masks-${cells}.u8`, sha256: masks.close(), size: cells },
    itemsCsvSha256: sha256(readFileSync(join(out, 'items.csv'))),
  };
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
  console.error(`step 2: ${items.length} images → ${dir} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

async function faceTensors(out: string, shared: string): Promise<void> {
  const rows = readCsvRows(join(out, 'items.csv'));
  const dataset = join(shared, 'datasets', 'faces', 'dfdc_faces224');
  const dir = join(out, 'tensors');
  mkdirSync(dir, { recursive: true });
  const [name, spec] = Object.entries(FACE_INPUTS)[0];
  const manifest = specManifest(name, spec, 'face');
  const face = spec.preprocessing.face!;
  const detector = await FaceDetector.open(face.detector);
  const writer = new TensorWriter(join(dir, `${name}.u8`));
  const items: IndexItem[] = [];
  const missed: { path: string; label: string; split: string }[] = [];
  const started = performance.now();
  try {
    for (const [i, row] of rows.entries()) {
      const file = join(dataset, row.path);
      const bytes = readFileSync(file);
      const image = await decodeImage(bytes, { maxPixels: 100_000_000, fileName: file });
      // The app scores every face; a training crop holds one face: the most confident.
      const [best] = await detector.detect(image, { minScore: face.minScore, nmsIou: face.nmsIou, maxFaces: face.maxFaces });
      if (!best) {
        missed.push({ path: row.path, label: row.label, split: row.split });
        continue;
      }
      writer.write(toBytes(faceTensor(await cropFace(image, best.box, face.margin, spec.input.width), manifest), spec));
      items.push({ path: file, label: row.label, group: row.group, source: 'dfdc', split: row.split, sha256: sha256(bytes), faceScore: best.score });
      if ((i + 1) % 200 === 0) console.error(`step 2: ${i + 1}/${rows.length} crops, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await detector.close();
  }
  const perSplit = (list: { label: string; split: string }[]) =>
    Object.fromEntries(['train', 'val', 'test'].map((s) => [s, { real: list.filter((x) => x.split === s && x.label === 'real').length, fake: list.filter((x) => x.split === s && x.label === 'fake').length }]));
  const index = {
    version: 1,
    kind: 'faces',
    root: null,
    items,
    variants: { [name]: { file: `${name}.u8`, sha256: writer.close(), input: spec.input, preprocessing: spec.preprocessing } },
    masks: null,
    noFaceFound: { count: missed.length, perSplit: perSplit(missed), files: missed.map((m) => m.path) },
    kept: perSplit(items),
    itemsCsvSha256: sha256(readFileSync(join(out, 'items.csv'))),
  };
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
  console.error(`step 2: ${items.length} face crops (${missed.length} images without a face at ${face.minScore}) → ${dir} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** IEEE half-precision bits of a float (round half up; no NaN in these features). */
function toHalf(value: number): number {
  F32[0] = value;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 112;
  const mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  if (exp >= 31) return sign | 0x7c00;
  return (sign | (exp << 10) | (mant >>> 13)) + ((mant >>> 12) & 1);
}

interface PrefixInfo {
  blocks: number;
  weightsSha256: string;
  onnxSha256: string;
  orientations: number;
  streams: { f8: string; f16: string }[];
  shapes: { f8: number[]; f16: number[] };
  sha256: Record<string, string>;
}

/** Step 3: frozen-prefix features of every stored input (and its mirror image) with onnxruntime. */
async function prefixFeatures(dir: string, name: string, spec: InputSpec, count: number, weights: string, blocks: number): Promise<PrefixInfo> {
  const [exe, lead] = await python();
  const onnxPath = join(dir, `prefix${blocks}-${spec.input.width}.onnx`);
  const r = spawnSync(exe, [...lead, join(SCRIPTS_DIR, 'export_prefix.py'), '--weights', weights, '--blocks', String(blocks), '--size', String(spec.input.width), '--out', onnxPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`export_prefix.py failed (exit ${r.status})`);
  const exported = JSON.parse(r.stdout.trim().split('\n').pop()!) as { sha256: string; weightsSha256: string; shapes: { f8: number[]; f16: number[] } };
  const { session } = await createSession(onnxPath, ['cpu']);
  const size = spec.input.width;
  const channels = spec.input.channels;
  const streams = channels / 3;
  const plane = size * size;
  const perItem = channels * plane;
  const { mean, std } = spec.preprocessing.normalization;
  const input = openSync(join(dir, `${name}.u8`), 'r');
  const orientations = 2;
  const files = Array.from({ length: streams }, (_, s) => ({ f8: `${name}.prefix${blocks}.s${s}.f8.f16`, f16: `${name}.prefix${blocks}.s${s}.f16.f16` }));
  const fds = files.map((f) => ({ f8: openSync(join(dir, f.f8), 'w'), f16: openSync(join(dir, f.f16), 'w') }));
  const volume = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const v8 = volume(exported.shapes.f8);
  const v16 = volume(exported.shapes.f16);
  const batch = 16;
  const started = performance.now();
  try {
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const bytes = Buffer.alloc(n * perItem);
      readSync(input, bytes, 0, bytes.length, start * perItem);
      for (let o = 0; o < orientations; o++) {
        for (let s = 0; s < streams; s++) {
          const x = new Float32Array(n * 3 * plane);
          for (let k = 0; k < n; k++) {
            for (let c = 0; c < 3; c++) {
              const src = k * perItem + (s * 3 + c) * plane;
              const dst = (k * 3 + c) * plane;
              for (let y = 0; y < size; y++) {
                for (let xx = 0; xx < size; xx++) {
                  const v = bytes[src + y * size + (o === 1 ? size - 1 - xx : xx)];
                  x[dst + y * size + xx] = (v / 255 - mean[c]) / std[c];
                }
              }
            }
          }
          const out = await session.run({ input: new Tensor('float32', x, [n, 3, size, size]) }, ['f8', 'f16']);
          for (const [key, per] of [['f8', v8], ['f16', v16]] as const) {
            const data = out[key].data as Float32Array;
            const half = new Uint16Array(data.length);
            for (let i = 0; i < data.length; i++) half[i] = toHalf(data[i]);
            writeSync(fds[s][key], Buffer.from(half.buffer), 0, half.byteLength, (o * count + start) * per * 2);
          }
        }
      }
      if ((start / batch) % 20 === 0) console.error(`step 3: ${name}: ${start + n}/${count} inputs, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    closeSync(input);
    for (const f of fds) {
      closeSync(f.f8);
      closeSync(f.f16);
    }
    await session.release();
  }
  const sha: Record<string, string> = {};
  for (const f of files) for (const file of [f.f8, f.f16]) sha[file] = sha256(readFileSync(join(dir, file)));
  console.error(`step 3: ${name}: frozen features of ${count} inputs x ${orientations} orientations x ${streams} stream(s) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { blocks, weightsSha256: exported.weightsSha256, onnxSha256: exported.sha256, orientations, streams: files, shapes: exported.shapes, sha256: sha };
}

/** Adds step 3's features to an index.json written by step 2. */
async function addPrefixFeatures(out: string, weights: string, blocks: number): Promise<void> {
  const dir = join(out, 'tensors');
  const indexPath = join(dir, 'index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8'));
  for (const [name, variant] of Object.entries(index.variants as Record<string, InputSpec & { prefix?: PrefixInfo }>)) {
    variant.prefix = await prefixFeatures(dir, name, variant, index.items.length, weights, blocks);
  }
  writeFileSync(indexPath, `${JSON.stringify(index, null, 1)}\n`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      shared: { type: 'string', default: '../shared' },
      out: { type: 'string' },
      'skip-synthesis': { type: 'boolean' },
      seed: { type: 'string' },
      'per-photo-train': { type: 'string' },
      'per-photo-val': { type: 'string' },
      'skip-tensors': { type: 'boolean' },
      'no-prefix': { type: 'boolean' },
      weights: { type: 'string' },
      'prefix-blocks': { type: 'string', default: '14' },
    },
  });
  const what = positionals[0];
  if (what !== 'manipulation' && what !== 'faces') {
    console.error('usage: prepare-training-data.ts manipulation|faces [--shared ../shared] [--out DIR] [--skip-synthesis] [--skip-tensors] [--no-prefix] [--weights PTH] [--prefix-blocks 14]');
    process.exit(2);
  }
  const shared = resolve(values.shared!);
  if (!existsSync(join(shared, 'datasets'))) throw new Error(`${shared} holds no datasets/ folder: pass the shared folder with --shared`);
  const out = resolve(values.out ?? join('training-data', what));
  const extra: string[] = [];
  if (values.seed) extra.push('--seed', values.seed);
  if (what === 'manipulation') {
    extra.push('--per-photo-train', values['per-photo-train'] ?? '6', '--per-photo-val', values['per-photo-val'] ?? '4');
  }
  if (!values['skip-synthesis']) await synthesize(what, shared, out, extra);
  if (!values['skip-tensors']) {
    if (what === 'manipulation') await manipulationTensors(out);
    else await faceTensors(out, shared);
  }
  if (!values['no-prefix']) {
    const weights = resolve(values.weights ?? join(shared, 'weights', 'mobilenet_v2_imagenet_tflite', 'mobilenet_v2_imagenet_slimqat_torchvision.pth'));
    await addPrefixFeatures(out, weights, Number(values['prefix-blocks']));
  }
}

await main();
