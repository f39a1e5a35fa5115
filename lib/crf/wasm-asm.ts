// A minimal WebAssembly binary writer: just the module sections and instructions the CRF kernels
// need (i32 and f32 scalar ops, 128-bit SIMD, structured loops). It lets the kernels be generated
// at run time, specialised to the label count and lattice sizes, with no toolchain and no binary
// blobs in the repository.

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Byte sink for one function body, with helpers named after the instructions they emit. */
export class Body {
  readonly bytes: number[] = [];

  private u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.bytes.push(b);
    } while (x !== 0);
    return this;
  }

  private s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.bytes.push(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  private op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }

  private simd(code: number): this {
    this.bytes.push(0xfd);
    return this.u32(code);
  }

  // control
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if_(): this {
    return this.op(0x04, 0x40);
  }
  else_(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c).u32(depth);
  }
  brIf(depth: number): this {
    return this.op(0x0d).u32(depth);
  }

  // locals
  get(i: number): this {
    return this.op(0x20).u32(i);
  }
  set(i: number): this {
    return this.op(0x21).u32(i);
  }
  tee(i: number): this {
    return this.op(0x22).u32(i);
  }

  // i32
  i32(v: number): this {
    return this.op(0x41).s32(v);
  }
  i32Load(offset = 0): this {
    return this.op(0x28, 2).u32(offset);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32Eq(): this {
    return this.op(0x46);
  }
  i32And(): this {
    return this.op(0x71);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32Or(): this {
    return this.op(0x72);
  }
  i32GeU(): this {
    return this.op(0x4f);
  }

  // f32
  f32Load(offset = 0): this {
    return this.op(0x2a, 2).u32(offset);
  }
  f32Max(): this {
    return this.op(0x97);
  }
  f32Add(): this {
    return this.op(0x92);
  }

  // v128 / f32x4 / i32x4 (opcodes from the WebAssembly SIMD binary encoding)
  v128Load(offset = 0): this {
    return this.simd(0x00).u32(4).u32(offset);
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b).u32(4).u32(offset);
  }
  v128ConstF32(x: number): this {
    this.simd(0x0c);
    const b = new Uint8Array(new Float32Array([x, x, x, x]).buffer);
    this.bytes.push(...b);
    return this;
  }
  v128ConstI32(x: number): this {
    this.simd(0x0c);
    const b = new Uint8Array(new Int32Array([x, x, x, x]).buffer);
    this.bytes.push(...b);
    return this;
  }
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  f32x4Lane(lane: number): this {
    return this.simd(0x1f).op(lane);
  }
  f32x4Floor(): this {
    return this.simd(0x68);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  f32x4Div(): this {
    return this.simd(0xe7);
  }
  f32x4Max(): this {
    return this.simd(0xe9);
  }
  i32x4TruncSatF32x4S(): this {
    return this.simd(0xf8);
  }
  i32x4Add(): this {
    return this.simd(0xae);
  }
  i32x4Sub(): this {
    return this.simd(0xb1);
  }
  i32x4Shl(): this {
    return this.simd(0xab);
  }
  i32x4ShrU(): this {
    return this.simd(0xad);
  }
  i32x4Eq(): this {
    return this.simd(0x37);
  }
  f32x4Gt(): this {
    return this.simd(0x44);
  }
  f32x4ConvertI32x4S(): this {
    return this.simd(0xfa);
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  v128Or(): this {
    return this.simd(0x50);
  }
  v128Bitselect(): this {
    return this.simd(0x52);
  }
  v128AnyTrue(): this {
    return this.simd(0x53);
  }
  /** a constant with four distinct i32 lanes */
  v128ConstI32x4(lanes: [number, number, number, number]): this {
    this.simd(0x0c);
    this.bytes.push(...new Uint8Array(new Int32Array(lanes).buffer));
    return this;
  }
}

export interface FuncDef {
  name: string;
  params: ValType[];
  /** at most one result, left on the stack at the end of the body */
  results?: ValType[];
  locals: ValType[];
  body: Body;
}

function u32(v: number): number[] {
  const out: number[] = [];
  let x = v >>> 0;
  do {
    let b = x & 0x7f;
    x >>>= 7;
    if (x !== 0) b |= 0x80;
    out.push(b);
  } while (x !== 0);
  return out;
}

function vec(items: number[][]): number[] {
  return [...u32(items.length), ...items.flat()];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...u32(payload.length), ...payload];
}

function name(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...u32(b.length), ...b];
}

/** A module importing memory `env.memory` and exporting `funcs`. */
export function assembleModule(funcs: FuncDef[]): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec((f.results ?? []).map((r) => [r]))]);
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]];
  const funcIdx = funcs.map((_, i) => u32(i));
  const exports = funcs.map((f, i) => [...name(f.name), 0x00, ...u32(i)]);
  const codes = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.body.bytes, 0x0b];
    return [...u32(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcIdx)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}
