// A minimal ONNX encoder: just enough of onnx.proto to write small feed-forward CNNs
// (the repository's own fixture models) without a protobuf dependency. Field numbers and
// wire types follow onnx/onnx.proto (proto2); repeated scalars that the schema marks
// `packed` are written packed, the others one element per field, as protoc would.

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

const AttributeType = { FLOAT: 1, INT: 2, FLOATS: 6, INTS: 7 } as const;

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

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
  w.string(1, name);
  const v = typeof value === 'number' ? (Number.isInteger(value) ? { int: value } : { float: value }) : value;
  if ('int' in v) w.int(3, v.int).int(20, AttributeType.INT);
  else if ('float' in v) w.float(2, v.float).int(20, AttributeType.FLOAT);
  else if ('floats' in v) {
    for (const f of v.floats) w.float(7, f);
    w.int(20, AttributeType.FLOATS);
  } else {
    for (const i of v.ints) w.int(8, i);
    w.int(20, AttributeType.INTS);
  }
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(5, (a) => writeAttribute(a, name, value));
  }
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  const count = t.dims.reduce((n, d) => n * d, 1);
  if (t.values.length !== count) {
    throw new Error(`Tensor ${t.name}: ${t.values.length} values do not fill dims [${t.dims.join(', ')}]`);
  }
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  // raw_data is little-endian by definition; copy through a DataView so the bytes do not
  // depend on the host's endianness.
  const raw = new Uint8Array(t.values.length * t.values.BYTES_PER_ELEMENT);
  const view = new DataView(raw.buffer);
  if (t.dataType === DataType.FLOAT) t.values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else t.values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  w.bytes(9, raw);
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.elemType);
      tensor.message(2, (shape) => {
        for (const d of info.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const i of g.inputs) w.message(11, (m) => writeValueInfo(m, i));
  for (const o of g.outputs) w.message(12, (m) => writeValueInfo(m, o));
}

/** Serialises a model to the bytes of a `.onnx` file. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, PRODUCER_NAME);
  if (model.modelVersion !== undefined) w.int(5, model.modelVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  w.message(8, (op) => op.string(1, '').int(2, OPSET_VERSION));
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (kv) => kv.string(1, key).string(2, value));
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
