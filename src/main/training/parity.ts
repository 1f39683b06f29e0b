// Runs an exported ONNX file with onnxruntime-node on the inputs the trainer saved and compares
// the outputs with PyTorch's: the check that the file the app will use computes what was
// trained. Python's onnxruntime is not needed (and usually not installed).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import type { ParityReport } from '../../contract/training';
import { createSession } from '../inference/session';

/** Written by resources/training/provenance_train/export.py (write_parity). */
interface ParityFile {
  input: string;
  inputName: string;
  shape: number[];
  outputs: { score: number[]; features: number[][]; heatmap?: number[] };
}

/** Default limit on |onnxruntime − PyTorch|, in output units (probabilities, embedding values). */
export const DEFAULT_PARITY_TOLERANCE = 1e-4;

/** Largest absolute difference, and largest difference divided by max(1, |PyTorch value|). */
function differences(actual: Float32Array, expected: number[]): { abs: number; scaled: number } {
  if (actual.length !== expected.length) throw new Error(`output has ${actual.length} values, PyTorch gave ${expected.length}`);
  let abs = 0;
  let scaled = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN on either side is a failure, not a zero difference.
    if (Number.isNaN(d)) return { abs: Infinity, scaled: Infinity };
    abs = Math.max(abs, d);
    scaled = Math.max(scaled, d / Math.max(1, Math.abs(expected[i])));
  }
  return { abs, scaled };
}

/**
 * Compares score and features. Pass/fail uses differences scaled by max(1, |PyTorch value|):
 * below 1 that is the absolute difference, above it the relative one, because embeddings of
 * deep networks reach the hundreds where float32 rounding alone exceeds an absolute 1e-4.
 * The report carries the absolute maxima as well.
 */
export async function checkParity(onnxPath: string, parityJsonPath: string, options: { tolerance?: number } = {}): Promise<ParityReport> {
  const tolerance = options.tolerance ?? DEFAULT_PARITY_TOLERANCE;
  const parity = JSON.parse(await readFile(parityJsonPath, 'utf8')) as ParityFile;
  const raw = await readFile(join(dirname(parityJsonPath), parity.input));
  const count = parity.shape.reduce((a, b) => a * b, 1);
  if (raw.length !== count * 4) throw new Error(`${parity.input} holds ${raw.length} bytes, expected ${count * 4} for shape [${parity.shape.join(', ')}]`);
  const input = new Float32Array(count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < count; i++) input[i] = view.getFloat32(i * 4, true);

  const { session } = await createSession(onnxPath, ['cpu']);
  try {
    // A localisation model also exports a heatmap: it is checked like the score.
    const names = parity.outputs.heatmap ? ['score', 'features', 'heatmap'] : ['score', 'features'];
    const out = await session.run({ [parity.inputName]: new Tensor('float32', input, parity.shape) }, names);
    const score = out.score.data as Float32Array;
    const features = out.features.data as Float32Array;
    const s = differences(score, parity.outputs.score);
    const f = differences(features, parity.outputs.features.flat());
    const h = parity.outputs.heatmap ? differences(out.heatmap.data as Float32Array, parity.outputs.heatmap) : { abs: 0, scaled: 0 };
    const maxScaledDiff = Math.max(s.scaled, f.scaled, h.scaled);
    return {
      scoreMaxAbsDiff: Math.max(s.abs, h.abs),
      featuresMaxAbsDiff: f.abs,
      maxAbsDiff: Math.max(s.abs, f.abs, h.abs),
      maxScaledDiff,
      tolerance,
      ok: maxScaledDiff <= tolerance,
      batch: parity.shape[0],
    };
  } finally {
    await session.release();
  }
}
