// A minimal ONNX (protobuf) writer: enough of ModelProto to serialise small float32 graphs of standard
// ops for tests. Field numbers follow onnx/onnx.proto.

class Pb {
  private parts: number[] = [];

  private varint(v: bigint | number): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.parts.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.parts.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const FLOAT = 1;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** integer-list attributes (kernel_shape, pads, strides, ...) and float/int scalars */
  ints?: Record<string, number[]>;
  int?: Record<string, number>;
  float?: Record<string, number>;
}

export interface OnnxGraph {
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  initializers: { name: string; dims: number[]; data: Float32Array }[];
  nodes: OnnxNode[];
  opset?: number;
}

function valueInfo(name: string, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().string(2, d));
  const tensorType = new Pb().int(1, FLOAT).message(2, shape);
  return new Pb().string(1, name).message(2, new Pb().message(1, tensorType));
}

function tensor(name: string, dims: number[], data: Float32Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT);
  t.string(8, name);
  t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return t;
}

function node(n: OnnxNode, index: number): Pb {
  const p = new Pb();
  for (const i of n.inputs) p.string(1, i);
  for (const o of n.outputs) p.string(2, o);
  p.string(3, `${n.op.toLowerCase()}_${index}`);
  p.string(4, n.op);
  for (const [name, values] of Object.entries(n.ints ?? {})) {
    const a = new Pb().string(1, name);
    for (const v of values) a.int(8, v);
    a.int(20, 7); // INTS
    p.message(5, a);
  }
  for (const [name, v] of Object.entries(n.int ?? {})) p.message(5, new Pb().string(1, name).int(3, v).int(20, 2));
  for (const [name, v] of Object.entries(n.float ?? {})) p.message(5, new Pb().string(1, name).float(2, v).int(20, 1));
  return p;
}

/** Serialise a graph as an ONNX model (IR version 8). */
export function writeOnnxModel(g: OnnxGraph): Uint8Array {
  const graph = new Pb();
  g.nodes.forEach((n, i) => {
    graph.message(1, node(n, i));
  });
  graph.string(2, 'test_graph');
  for (const t of g.initializers) graph.message(5, tensor(t.name, t.dims, t.data));
  for (const i of g.inputs) graph.message(11, valueInfo(i.name, i.dims));
  for (const o of g.outputs) graph.message(12, valueInfo(o.name, o.dims));
  return new Pb()
    .int(1, 8)
    .string(2, 'dcsp-pipeline-test')
    .message(7, graph)
    .message(8, new Pb().string(1, '').int(2, g.opset ?? 13))
    .finish();
}
