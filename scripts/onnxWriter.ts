// A minimal ONNX encoder: just enough of onnx.proto to write small feed-forward CNNs (the
// repository's test-fixture models, see make-fixture-model.ts) without a protobuf dependency.
// Field numbers and wire types are the ones the app's ONNX reader uses (onnxFields.ts);
// repeated scalars that the schema marks `packed` are written packed, the others one element
// per field, as protoc would. Only the fixture script and the tests use it: the app never
// writes models this way.
import { ATTRIBUTE_TYPE as AttributeType, ONNX_FIELDS as F, TENSOR_TYPE, WIRE } from '../src/main/training/onnxFields';

/** TensorProto.DataType values used here. */
export const DataType = TENSOR_TYPE;

const { VARINT: WIRE_VARINT, LEN: WIRE_LENGTH_DELIMITED, FIXED32: WIRE_FIXED32 } = WIRE;

/** Appends protobuf fields to a growing list of byte chunks. */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  private tag(field: number, wireType: number): void {
    this.rawVarint(BigInt((field << 3) | wireType));
  }

  /** Varints carry int64 as two's complement, so negative numbers take ten bytes. */
  private rawVarint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.chunks.push(Uint8Array.from(bytes));
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.chunks.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(BigInt(value.length));
    this.chunks.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(BigInt(v));
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

export type AttributeValue = number | { int: number } | { float: number } | { ints: number[] } | { floats: number[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Plain numbers are written as INT when integral, FLOAT otherwise; wrap to force a type. */
  attributes?: Record<string, AttributeValue>;
}

export type OnnxTensor =
  | { name: string; dataType: typeof DataType.FLOAT; dims: number[]; values: Float32Array }
  | { name: string; dataType: typeof DataType.INT64; dims: number[]; values: BigInt64Array };

/** A dimension is either fixed or symbolic (`'N'` for a free batch size). */
export type Dim = number | string;

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  shape: Dim[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  docString?: string;
  modelVersion?: number;
  /** ModelProto.metadata_props: readable by onnxruntime as custom metadata. */
  metadata?: Record<string, string>;
}

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;
export const PRODUCER_NAME = 'provenance-lab';

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  const A = F.attribute;
  w.string(A.name, name);
  const v = typeof value === 'number' ? (Number.isInteger(value) ? { int: value } : { float: value }) : value;
  if ('int' in v) w.int(A.i, v.int).int(A.type, AttributeType.INT);
  else if ('float' in v) w.float(A.f, v.float).int(A.type, AttributeType.FLOAT);
  else if ('floats' in v) {
    for (const f of v.floats) w.float(A.floats, f);
    w.int(A.type, AttributeType.FLOATS);
  } else {
    for (const i of v.ints) w.int(A.ints, i);
    w.int(A.type, AttributeType.INTS);
  }
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  const N = F.node;
  for (const i of node.inputs) w.string(N.input, i);
  for (const o of node.outputs) w.string(N.output, o);
  if (node.name) w.string(N.name, node.name);
  w.string(N.opType, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(N.attribute, (a) => writeAttribute(a, name, value));
  }
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  const count = t.dims.reduce((n, d) => n * d, 1);
  if (t.values.length !== count) {
    throw new Error(`Tensor ${t.name}: ${t.values.length} values do not fill dims [${t.dims.join(', ')}]`);
  }
  for (const d of t.dims) w.int(F.tensor.dims, d);
  w.int(F.tensor.dataType, t.dataType);
  w.string(F.tensor.name, t.name);
  // raw_data is little-endian by definition; copy through a DataView so the bytes do not
  // depend on the host's endianness.
  const raw = new Uint8Array(t.values.length * t.values.BYTES_PER_ELEMENT);
  const view = new DataView(raw.buffer);
  if (t.dataType === DataType.FLOAT) t.values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else t.values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  w.bytes(F.tensor.rawData, raw);
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(F.valueInfo.name, info.name);
  w.message(F.valueInfo.type, (type) =>
    type.message(F.typeProto.tensorType, (tensor) => {
      tensor.int(F.tensorType.elemType, info.elemType);
      tensor.message(F.tensorType.shape, (shape) => {
        for (const d of info.shape) {
          shape.message(F.shape.dim, (dim) => (typeof d === 'number' ? dim.int(F.dimension.dimValue, d) : dim.string(F.dimension.dimParam, d)));
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  const G = F.graph;
  for (const n of g.nodes) w.message(G.node, (m) => writeNode(m, n));
  w.string(G.name, g.name);
  for (const t of g.initializers) w.message(G.initializer, (m) => writeTensor(m, t));
  for (const i of g.inputs) w.message(G.input, (m) => writeValueInfo(m, i));
  for (const o of g.outputs) w.message(G.output, (m) => writeValueInfo(m, o));
}

/** Serialises a model to the bytes of a `.onnx` file. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const M = F.model;
  const w = new ProtoWriter();
  w.int(M.irVersion, IR_VERSION);
  w.string(M.producerName, PRODUCER_NAME);
  if (model.modelVersion !== undefined) w.int(M.modelVersion, model.modelVersion);
  if (model.docString) w.string(M.docString, model.docString);
  w.message(M.graph, (g) => writeGraph(g, model.graph));
  w.message(M.opsetImport, (op) => op.string(F.operatorSet.domain, '').int(F.operatorSet.version, OPSET_VERSION));
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(M.metadataProps, (kv) => kv.string(F.stringStringEntry.key, key).string(F.stringStringEntry.value, value));
  }
  return w.finish();
}

/**
 * Small builder for sequential graphs: each method adds one node whose output name is
 * generated, registers its weights as initializers, and returns the output name.
 */
export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private counter = 0;

  private next(op: string): string {
    this.counter += 1;
    return `${op.toLowerCase()}_${this.counter}`;
  }

  private add(opType: string, inputs: string[], attributes?: OnnxNode['attributes'], output?: string): string {
    const out = output ?? this.next(opType);
    this.nodes.push({ opType, inputs, outputs: [out], name: `${opType}_${this.nodes.length}`, attributes });
    return out;
  }

  floatInitializer(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, values });
    return name;
  }

  int64Initializer(name: string, dims: number[], values: BigInt64Array): string {
    this.initializers.push({ name, dataType: DataType.INT64, dims, values });
    return name;
  }

  /** weight: [out, in, k, k] (OIHW), bias: [out]. */
  conv(
    x: string,
    p: { name: string; weight: Float32Array; bias: Float32Array; inChannels: number; outChannels: number; kernel: number; stride?: number; pad?: number },
    output?: string,
  ): string {
    const { name, inChannels: ci, outChannels: co, kernel: k } = p;
    const w = this.floatInitializer(`${name}.weight`, [co, ci, k, k], p.weight);
    const b = this.floatInitializer(`${name}.bias`, [co], p.bias);
    const stride = p.stride ?? 1;
    const pad = p.pad ?? 0;
    return this.add('Conv', [x, w, b], { kernel_shape: { ints: [k, k] }, strides: { ints: [stride, stride] }, pads: { ints: [pad, pad, pad, pad] } }, output);
  }

  relu(x: string, output?: string): string {
    return this.add('Relu', [x], undefined, output);
  }

  globalAveragePool(x: string, output?: string): string {
    return this.add('GlobalAveragePool', [x], undefined, output);
  }

  flatten(x: string, axis = 1, output?: string): string {
    return this.add('Flatten', [x], { axis: { int: axis } }, output);
  }

  /** y = x · weightᵀ + bias with weight [out, in] (PyTorch Linear layout, transB = 1). */
  gemm(x: string, p: { name: string; weight: Float32Array; bias: Float32Array; inFeatures: number; outFeatures: number }, output?: string): string {
    const w = this.floatInitializer(`${p.name}.weight`, [p.outFeatures, p.inFeatures], p.weight);
    const b = this.floatInitializer(`${p.name}.bias`, [p.outFeatures], p.bias);
    return this.add('Gemm', [x, w, b], { alpha: { float: 1 }, beta: { float: 1 }, transB: { int: 1 } }, output);
  }

  sigmoid(x: string, output?: string): string {
    return this.add('Sigmoid', [x], undefined, output);
  }

  build(name: string, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): OnnxGraph {
    return { name, nodes: [...this.nodes], initializers: [...this.initializers], inputs, outputs };
  }
}
