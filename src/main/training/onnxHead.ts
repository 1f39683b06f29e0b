// The classification head of a detector's ONNX graph: the Gemm that maps the `features`
// output to the score logit, optionally followed by the Sigmoid that produces `score`. Found
// by following names from the manifest, read, and rewritten with new weights.
import type { ModelManifest } from '../inference/manifest';
import { decodeOnnx, ONNX_FLOAT, OnnxFormatError, replaceInitializers, type OnnxNodeInfo } from './onnxProto';

export interface OnnxHead {
  gemm: string;
  weightName: string;
  biasName: string;
  weightDims: number[];
  biasDims: number[];
  /** Embedding size (the features output's width). */
  inFeatures: number;
  /** w in y = w·f + b. */
  weight: Float32Array;
  bias: number;
  /** Whether the graph applies a sigmoid to the logit before `score`. */
  sigmoid: boolean;
}

/** Graph names through which a tensor passes unchanged. */
const PASS_THROUGH = new Set(['Identity']);

function unsupported(manifest: ModelManifest, why: string): OnnxFormatError {
  return new OnnxFormatError(`Model ${manifest.id} has no head the in-process training can replace: ${why}`);
}

export function findHead(model: Uint8Array, manifest: ModelManifest): OnnxHead {
  const featuresName = manifest.outputs.features;
  if (!featuresName) throw unsupported(manifest, 'its manifest declares no features output');
  const graph = decodeOnnx(model);
  const consumers = (name: string) => graph.nodes.filter((n) => n.inputs.includes(name));

  // features → (Identity)* → Gemm
  let tensor = featuresName;
  let gemm: OnnxNodeInfo | undefined;
  for (let hops = 0; hops < 4 && !gemm; hops++) {
    const next = consumers(tensor);
    gemm = next.find((n) => n.opType === 'Gemm' && n.inputs[0] === tensor);
    const pass = next.find((n) => PASS_THROUGH.has(n.opType));
    if (!gemm && pass) tensor = pass.outputs[0];
    else if (!gemm) break;
  }
  if (!gemm) throw unsupported(manifest, `no Gemm reads "${featuresName}"`);
  const attr = (name: string) => gemm!.attributes.get(name);
  if ((attr('transA')?.i ?? 0n) !== 0n) throw unsupported(manifest, 'its Gemm transposes the features (transA)');
  if ((attr('alpha')?.f ?? 1) !== 1 || (attr('beta')?.f ?? 1) !== 1) throw unsupported(manifest, 'its Gemm scales by alpha/beta');
  if (gemm.inputs.length < 3 || !gemm.inputs[2]) throw unsupported(manifest, 'its Gemm has no bias');
  const transB = (attr('transB')?.i ?? 0n) === 1n;

  // Gemm → score, or Gemm → Sigmoid → score
  const logit = gemm.outputs[0];
  let sigmoid: boolean;
  if (logit === manifest.outputs.score) {
    if (manifest.scoreMeaning !== 'logit_fake') throw unsupported(manifest, 'the score is the Gemm output but the manifest says it is a probability');
    sigmoid = false;
  } else {
    const after = consumers(logit);
    if (after.length !== 1 || after[0].opType !== 'Sigmoid' || after[0].outputs[0] !== manifest.outputs.score) {
      throw unsupported(manifest, `the Gemm output "${logit}" does not go through one Sigmoid to "${manifest.outputs.score}"`);
    }
    sigmoid = true;
  }

  const [, weightName, biasName] = gemm.inputs;
  for (const name of [weightName, biasName]) {
    if (graph.nodes.filter((n) => n.inputs.includes(name)).length !== 1) throw unsupported(manifest, `its head tensor "${name}" is shared with other nodes`);
  }
  const w = graph.initializer(weightName);
  const b = graph.initializer(biasName);
  if (!w || !b) throw unsupported(manifest, 'its head weights are computed, not stored as initializers');
  if (w.dataType !== ONNX_FLOAT || b.dataType !== ONNX_FLOAT) throw unsupported(manifest, 'its head weights are not float32');
  const rows = transB ? w.dims[0] : w.dims[1];
  const inFeatures = transB ? w.dims[1] : w.dims[0];
  if (w.dims.length !== 2 || rows !== 1) throw unsupported(manifest, `its Gemm has ${rows} outputs, expected one logit`);
  if (b.values!.length !== 1) throw unsupported(manifest, `its bias has ${b.values!.length} values, expected 1`);
  return { gemm: gemm.name, weightName, biasName, weightDims: w.dims, biasDims: b.dims, inFeatures, weight: w.values!, bias: b.values![0], sigmoid };
}

/** The model bytes with the head's weights replaced; everything else is byte-for-byte the same. */
export function withHead(model: Uint8Array, head: OnnxHead, weight: ArrayLike<number>, bias: number): Uint8Array {
  if (weight.length !== head.inFeatures) throw new Error(`New head has ${weight.length} weights, the model's features have ${head.inFeatures}`);
  // [1, D] with transB and [D, 1] without: the same values in the same order either way.
  return replaceInitializers(model, [
    { name: head.weightName, dims: head.weightDims, values: Float32Array.from(weight) },
    { name: head.biasName, dims: head.biasDims, values: Float32Array.of(bias) },
  ]);
}
