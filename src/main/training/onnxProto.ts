// A minimal protobuf reader for ONNX files, and a splicer that replaces initializer tensors
// while copying every other byte through untouched. Enough to find and rewrite a model's
// classification head; unknown fields, metadata and everything the reader does not model
// survive unchanged. Field numbers: onnxFields.ts (shared with the fixture-model writer).
import { ONNX_FIELDS as F, TENSOR_TYPE, WIRE } from './onnxFields';

const { VARINT: WIRE_VARINT, FIXED64: WIRE_FIXED64, LEN: WIRE_LEN, FIXED32: WIRE_FIXED32 } = WIRE;

/** ONNX TensorProto.DataType.FLOAT */
export const ONNX_FLOAT = TENSOR_TYPE.FLOAT;

export interface ProtoField {
  field: number;
  wire: number;
  /** Varint fields. */
  varint?: bigint;
  /** Length-delimited fields (a view, not a copy). */
  bytes?: Uint8Array;
  /** Fixed32 fields as raw little-endian bytes. */
  fixed32?: Uint8Array;
  /** The whole field, tag included: what the splicer copies through. */
  raw: Uint8Array;
}

export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new OnnxFormatError('truncated varint');
    const byte = buf[pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  throw new OnnxFormatError('varint longer than 10 bytes');
}

/** Every field of one message, in file order. */
export function decodeFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(buf, pos);
    pos = afterTag;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    const f: Partial<ProtoField> = { field, wire };
    if (wire === WIRE_VARINT) {
      [f.varint, pos] = readVarint(buf, pos);
    } else if (wire === WIRE_LEN) {
      const [len, afterLen] = readVarint(buf, pos);
      const end = afterLen + Number(len);
      if (end > buf.length) throw new OnnxFormatError(`field ${field} runs past the end of its message`);
      f.bytes = buf.subarray(afterLen, end);
      pos = end;
    } else if (wire === WIRE_FIXED32) {
      f.fixed32 = buf.subarray(pos, pos + 4);
      pos += 4;
    } else if (wire === WIRE_FIXED64) {
      pos += 8;
    } else {
      throw new OnnxFormatError(`unsupported wire type ${wire} (field ${field})`);
    }
    if (pos > buf.length) throw new OnnxFormatError(`field ${field} runs past the end of its message`);
    f.raw = buf.subarray(start, pos);
    fields.push(f as ProtoField);
  }
  return fields;
}

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b ?? new Uint8Array());
const strings = (fields: ProtoField[], n: number) => fields.filter((f) => f.field === n).map((f) => text(f.bytes));

export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: bigint;
}

export interface OnnxNodeInfo {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxTensorInfo {
  name: string;
  dims: number[];
  dataType: number;
  /** FLOAT tensors only. */
  values?: Float32Array;
}

function decodeNode(bytes: Uint8Array): OnnxNodeInfo {
  const fields = decodeFields(bytes);
  const attributes = new Map<string, OnnxAttribute>();
  for (const a of fields.filter((f) => f.field === F.node.attribute)) {
    const af = decodeFields(a.bytes!);
    const name = text(af.find((x) => x.field === F.attribute.name)?.bytes);
    const fField = af.find((x) => x.field === F.attribute.f)?.fixed32;
    attributes.set(name, {
      name,
      f: fField ? new DataView(fField.buffer, fField.byteOffset, 4).getFloat32(0, true) : undefined,
      i: af.find((x) => x.field === F.attribute.i)?.varint,
    });
  }
  return {
    opType: text(fields.find((f) => f.field === F.node.opType)?.bytes),
    name: text(fields.find((f) => f.field === F.node.name)?.bytes),
    inputs: strings(fields, F.node.input),
    outputs: strings(fields, F.node.output),
    attributes,
  };
}

function decodeTensor(bytes: Uint8Array): OnnxTensorInfo {
  const fields = decodeFields(bytes);
  const name = text(fields.find((f) => f.field === F.tensor.name)?.bytes);
  const dims: number[] = [];
  for (const f of fields.filter((x) => x.field === F.tensor.dims)) {
    if (f.varint !== undefined) dims.push(Number(f.varint));
    else {
      // packed repeated int64
      let pos = 0;
      while (pos < f.bytes!.length) {
        const [v, next] = readVarint(f.bytes!, pos);
        dims.push(Number(v));
        pos = next;
      }
    }
  }
  const dataType = Number(fields.find((f) => f.field === F.tensor.dataType)?.varint ?? 0n);
  if (fields.some((f) => f.field === F.tensor.dataLocation && f.varint === 1n) || fields.some((f) => f.field === F.tensor.externalData)) {
    throw new OnnxFormatError(`tensor ${name} is stored in an external data file, which this reader does not follow`);
  }
  const tensor: OnnxTensorInfo = { name, dims, dataType };
  if (dataType === ONNX_FLOAT) {
    const count = dims.reduce((a, b) => a * b, 1);
    const raw = fields.find((f) => f.field === F.tensor.rawData)?.bytes;
    const values = new Float32Array(count);
    if (raw) {
      if (raw.length !== count * 4) throw new OnnxFormatError(`tensor ${name}: raw_data has ${raw.length} bytes for ${count} floats`);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
    } else {
      // float_data: packed (one LEN field) or one fixed32 field per value.
      const floats: number[] = [];
      for (const f of fields.filter((x) => x.field === F.tensor.floatData)) {
        const b = f.bytes ?? f.fixed32!;
        const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        for (let p = 0; p + 4 <= b.length; p += 4) floats.push(view.getFloat32(p, true));
      }
      if (floats.length !== count) throw new OnnxFormatError(`tensor ${name}: ${floats.length} floats for dims [${dims.join(', ')}]`);
      values.set(floats);
    }
    tensor.values = values;
  }
  return tensor;
}

export interface DecodedOnnx {
  nodes: OnnxNodeInfo[];
  graphInputs: string[];
  graphOutputs: string[];
  initializerNames: string[];
  /** Decodes one initializer on demand (the big ones are never copied unless asked for). */
  initializer(name: string): OnnxTensorInfo | undefined;
}

function graphFields(model: Uint8Array): { modelFields: ProtoField[]; graph: ProtoField; fields: ProtoField[] } {
  const modelFields = decodeFields(model);
  const graph = modelFields.find((f) => f.field === F.model.graph && f.wire === WIRE_LEN);
  if (!graph) throw new OnnxFormatError('the file has no graph: not an ONNX model');
  return { modelFields, graph, fields: decodeFields(graph.bytes!) };
}

export function decodeOnnx(model: Uint8Array): DecodedOnnx {
  const { fields } = graphFields(model);
  const valueInfoName = (f: ProtoField) => text(decodeFields(f.bytes!).find((x) => x.field === F.valueInfo.name)?.bytes);
  const initializers = new Map<string, ProtoField>();
  for (const f of fields.filter((x) => x.field === F.graph.initializer)) {
    const name = text(decodeFields(f.bytes!).find((x) => x.field === F.tensor.name)?.bytes);
    initializers.set(name, f);
  }
  return {
    nodes: fields.filter((f) => f.field === F.graph.node).map((f) => decodeNode(f.bytes!)),
    graphInputs: fields.filter((f) => f.field === F.graph.input).map(valueInfoName),
    graphOutputs: fields.filter((f) => f.field === F.graph.output).map(valueInfoName),
    initializerNames: [...initializers.keys()],
    initializer: (name) => {
      const f = initializers.get(name);
      return f ? decodeTensor(f.bytes!) : undefined;
    },
  };
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function lenField(field: number, payload: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...varintBytes((field << 3) | WIRE_LEN), ...varintBytes(payload.length)]), payload]);
}

function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varintBytes((field << 3) | WIRE_VARINT), ...varintBytes(value)]);
}

/** A FLOAT TensorProto: dims, data_type, name, raw_data (little-endian). */
export function encodeFloatTensor(name: string, dims: number[], values: Float32Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`Tensor ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
  const raw = new Uint8Array(count * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return concat([...dims.map((d) => varintField(F.tensor.dims, d)), varintField(F.tensor.dataType, ONNX_FLOAT), lenField(F.tensor.name, new TextEncoder().encode(name)), lenField(F.tensor.rawData, raw)]);
}

/**
 * The model with the named FLOAT initializers replaced (same names, new dims and values); all
 * other bytes are copied as they were, in their original order.
 */
export function replaceInitializers(model: Uint8Array, replacements: { name: string; dims: number[]; values: Float32Array }[]): Uint8Array {
  const byName = new Map(replacements.map((r) => [r.name, r]));
  const { modelFields, fields } = graphFields(model);
  const seen = new Set<string>();
  const graphParts = fields.map((f) => {
    if (f.field !== F.graph.initializer) return f.raw;
    const name = text(decodeFields(f.bytes!).find((x) => x.field === F.tensor.name)?.bytes);
    const r = byName.get(name);
    if (!r) return f.raw;
    seen.add(name);
    return lenField(F.graph.initializer, encodeFloatTensor(r.name, r.dims, r.values));
  });
  const missing = replacements.filter((r) => !seen.has(r.name)).map((r) => r.name);
  if (missing.length) throw new OnnxFormatError(`no initializer named ${missing.join(', ')}`);
  const graph = concat(graphParts);
  return concat(modelFields.map((f) => (f.field === F.model.graph && f.wire === WIRE_LEN ? lenField(F.model.graph, graph) : f.raw)));
}
