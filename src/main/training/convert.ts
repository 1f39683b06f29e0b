// Published PyTorch detector checkpoints → a model folder (model.onnx + manifest.json) the
// registry loads, through resources/training/convert.py, with the same ONNX-vs-PyTorch parity
// check as a trained model. Only a model that passes is left in place.
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ParityReport, PythonEnvironment, TrainingEvent } from '../../contract/training';
import { checkManifest, type ModelManifest } from '../inference/manifest';
import { checkParity, DEFAULT_PARITY_TOLERANCE } from './parity';
import { findPython } from './python';
import { failureMessage, runTrainerProcess } from './trainerProcess';

export interface ConvertOptions {
  /** The checkpoint file (CNNDetection's blur_jpg_prob0.5.pth, or a state dict of the same layout). */
  checkpoint: string;
  /** A models folder; the model goes into <modelsDir>/<id>/. */
  modelsDir: string;
  /** Default cnndetection-resnet50. */
  id?: string;
  name?: string;
  arch?: 'auto' | 'resnet50' | 'resnet18';
  inputSize?: number;
  licence?: string;
  /** Accept a checkpoint that pickles Python objects besides tensors (trusted sources only). */
  allowPickle?: boolean;
  python?: string | null;
  /** The trainer's scripts (config.trainingScriptsDir): convert.py is run from there. */
  scriptsDir: string;
  environment?: PythonEnvironment & { found: true };
  onEvent?: (event: TrainingEvent) => void;
  signal?: AbortSignal;
  parityTolerance?: number;
}

export interface ConvertResult {
  modelDir: string;
  manifest: ModelManifest;
  parity: ParityReport;
}

export async function convertCheckpoint(options: ConvertOptions): Promise<ConvertResult> {
  const env = options.environment ?? (await findPython({ python: options.python, scriptsDir: options.scriptsDir }));
  if (!env.found) throw new Error(env.install);
  const id = options.id ?? 'cnndetection-resnet50';
  const args = ['cnndetection', '--checkpoint', resolve(options.checkpoint), '--out', resolve(options.modelsDir), '--id', id];
  if (options.name) args.push('--name', options.name);
  if (options.arch) args.push('--arch', options.arch);
  if (options.inputSize) args.push('--input-size', String(options.inputSize));
  if (options.licence) args.push('--licence', options.licence);
  if (options.allowPickle) args.push('--allow-pickle');
  const exit = await runTrainerProcess({ python: env.executable, script: 'convert.py', scriptsDir: options.scriptsDir, args, signal: options.signal, onEvent: options.onEvent });
  const exported = exit.last.export;
  if (exit.code !== 0 || !exported) throw new Error(failureMessage(exit));

  const modelDir = join(resolve(options.modelsDir), id);
  const parityDir = join(modelDir, 'parity');
  try {
    const parity = await checkParity(exported.onnx, exported.parity, { tolerance: options.parityTolerance ?? DEFAULT_PARITY_TOLERANCE });
    options.onEvent?.({ type: 'parity', ...parity });
    if (!parity.ok) throw new Error(`The converted ONNX model differs from PyTorch by ${parity.maxScaledDiff.toExponential(2)} (limit ${parity.tolerance}).`);
    const check = checkManifest(JSON.parse(await readFile(exported.manifest, 'utf8')));
    if (!check.ok) throw new Error(`The converter wrote an invalid manifest: ${check.problems.join('; ')}`);
    return { modelDir, manifest: check.manifest, parity };
  } catch (err) {
    // An unverified model must not sit in a models folder where the app would load it.
    await rm(modelDir, { recursive: true, force: true });
    throw err;
  } finally {
    await rm(parityDir, { recursive: true, force: true });
  }
}
