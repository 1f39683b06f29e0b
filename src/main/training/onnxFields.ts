// The parts of onnx/onnx.proto (proto2) this project reads and writes without a protobuf
// dependency: wire types, field numbers and enum values. One definition for the reader and
// splicer (onnxProto.ts, used to retrain a model's head) and the writer of the repository's
// fixture models (scripts/onnxWriter.ts).

/** Protobuf wire types. */
export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

/** TensorProto.DataType values used here. */
export const TENSOR_TYPE = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values used here. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, FLOATS: 6, INTS: 7 } as const;

/** Field numbers, per message. */
export const ONNX_FIELDS = {
  model: { irVersion: 1, producerName: 2, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 },
  graph: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5 },
  attribute: { name: 1, f: 2, i: 3, floats: 7, ints: 8, type: 20 },
  tensor: { dims: 1, dataType: 2, floatData: 4, name: 8, rawData: 9, externalData: 13, dataLocation: 14 },
  valueInfo: { name: 1, type: 2 },
  typeProto: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dimension: { dimValue: 1, dimParam: 2 },
  operatorSet: { domain: 1, version: 2 },
  stringStringEntry: { key: 1, value: 2 },
} as const;
