// Mean-field inference with WebAssembly SIMD kernels generated for the label count and lattice
// dimensions at hand. Same arithmetic as the JavaScript loop in dense-crf.ts, four labels per
// instruction: V8 does not vectorise typed-array loops, and scalar JS is several times slower
// than the C++ reference's SSE code on the splat/blur/slice streams.
//
// Memory layout (one WebAssembly.Memory per call, all regions 16-byte aligned, labels padded to a
// multiple of 4 so every label row is whole vectors):
//   prob    [n][L] f32    the caller's probabilities (+16 bytes slack); Q [n][L] on exit
//   logits  [n][Lp] f32   log max(p, minProb) = -U (padding lanes -1e30, so probability 0)
//   per kernel: rows [n][c] i32 byte offset of each corner's row, sliceW and splatW [n][c] f32,
//   below/above [c][m] i32 byte offsets of blur neighbours, two value buffers [(m+1)][Lp] f32.

import { Body, assembleModule, F32, I32, V128, type FuncDef, type ValType } from './wasm-asm.ts';
import type { Lattice } from './permutohedral.ts';

/** A lattice with its folded per-pixel weights, as both engines consume it. */
export interface KernelSetup {
  lat: Lattice;
  /** per pixel 1/sqrt(K 1): the symmetric normalisation */
  norm: Float32Array;
  /** Potts weight */
  potts: number;
}

const PAD_LOGIT = -1e30;
/** pixelPass mode bits */
const SLICE = 1;
const WRITE_Q = 2;
const modules = new Map<string, WebAssembly.Module>();

// One memory per thread, grown on demand and kept: a fresh 100 MB memory per image costs tens of
// milliseconds of page faults. Calls are synchronous, so no two calls in a thread share it at once.
let shared: WebAssembly.Memory | undefined;

function memoryOfAtLeast(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / 65536);
  if (!shared) shared = new WebAssembly.Memory({ initial: pages });
  else if (shared.buffer.byteLength < bytes) shared.grow(pages - shared.buffer.byteLength / 65536);
  return shared;
}

/** Drops the thread's kept CRF memory (it is recreated on the next call). */
export function releaseCrfMemory(): void {
  shared = undefined;
}

export function wasmSimdAvailable(): boolean {
  try {
    return WebAssembly.validate(assembleModule([blurFunc(1)]));
  } catch {
    return false;
  }
}

/**
 * Runs `iterations` mean-field updates from the unary U = -log max(p, minProb), `prob` laid out
 * [n][labels]. Returns Q laid out [n][labels]. NaN or infinite probabilities throw.
 */
export function meanFieldWasm(prob: Float32Array, minProb: number, n: number, labels: number, kernels: KernelSetup[], iterations: number): Float32Array {
  const L = labels;
  const chunks = Math.ceil(L / 4);
  const Lp = chunks * 4;
  const rowBytes = Lp * 4;

  // Plan the memory.
  let top = 0;
  const alloc = (bytes: number): number => {
    const at = top;
    top += Math.ceil(bytes / 16) * 16;
    return at;
  };
  const probAt = alloc(n * L * 4 + 16);
  const logitsAt = alloc(n * rowBytes);
  const plans = kernels.map((k) => {
    const c = k.lat.d + 1;
    const m = k.lat.m;
    return {
      k,
      c,
      m,
      rows: alloc(n * c * 4),
      sliceW: alloc(n * c * 4),
      splatW: alloc(n * c * 4),
      below: alloc(c * m * 4),
      above: alloc(c * m * 4),
      bufA: alloc((m + 1) * rowBytes),
      bufB: alloc((m + 1) * rowBytes),
    };
  });
  const memory = memoryOfAtLeast(top);
  const buf = memory.buffer;
  const f32 = (at: number, len: number) => new Float32Array(buf, at, len);
  const i32 = (at: number, len: number) => new Int32Array(buf, at, len);

  f32(probAt, n * L).set(prob);
  f32(probAt + n * L * 4, 4).fill(0);
  for (const p of plans) {
    foldWeights(p.k, n, p.c, rowBytes, i32(p.rows, n * p.c), f32(p.splatW, n * p.c), f32(p.sliceW, n * p.c));
    foldNeighbours(p.k.lat, rowBytes, i32(p.below, p.c * p.m), i32(p.above, p.c * p.m));
  }

  // The memory is reused across calls: clear what the passes expect to start at zero (the first
  // splat target, and the always-zero row m of both value buffers).
  for (const p of plans) {
    new Float32Array(buf, p.bufA, (p.m + 1) * Lp).fill(0);
    new Float32Array(buf, p.bufB + p.m * rowBytes, Lp).fill(0);
  }

  const corners = plans.map((p) => p.c);
  const key = `${L}:${corners.join(',')}`;
  let mod = modules.get(key);
  if (!mod) {
    mod = new WebAssembly.Module(assembleModule([blurFunc(chunks), pixelPassFunc(chunks, L, corners), logitsFunc(L)]));
    modules.set(key, mod);
  }
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  const blur = inst.exports.blur as (src: number, dst: number, below: number, above: number, m: number) => void;
  const pass = inst.exports.pixelPass as (...args: number[]) => void;
  const toLogits = inst.exports.logits as (n: number, prob: number, logits: number, minProb: number) => number;

  if (toLogits(n, probAt, logitsAt, minProb) !== 0) {
    const i = prob.findIndex((v) => !Number.isFinite(v));
    throw new Error(`CRF probability at flat index ${i} is ${prob[i]}`);
  }

  const passes = plans.length === 0 ? 0 : iterations;
  // splatInto[k]: buffer the next pixel pass splats into; blurred[k]: buffer it slices from.
  const splatInto = plans.map((p) => p.bufA);
  const blurred = plans.map((p) => p.bufB);
  const args = (mode: number): number[] => {
    const a = [n, logitsAt, probAt, mode];
    plans.forEach((p, k) => {
      a.push(p.rows, p.sliceW, p.splatW, blurred[k], splatInto[k]);
    });
    return a;
  };

  pass(...args(passes === 0 ? WRITE_Q : 0));
  for (let it = 0; it < passes; it++) {
    const last = it === passes - 1;
    plans.forEach((p, k) => {
      let src = splatInto[k];
      let dst = src === p.bufA ? p.bufB : p.bufA;
      for (let j = 0; j < p.c; j++) {
        blur(src, dst, p.below + j * p.m * 4, p.above + j * p.m * 4, p.m);
        const t = src;
        src = dst;
        dst = t;
      }
      blurred[k] = src;
      splatInto[k] = dst;
      if (!last) new Float32Array(buf, dst, p.m * Lp).fill(0);
    });
    pass(...args(last ? SLICE | WRITE_Q : SLICE));
  }

  return f32(probAt, n * L).slice();
}

// Per-pixel slice and splat weights with the normalisation, alpha and Potts weight folded in, and
// corner vertex indices turned into byte offsets of their label rows.
function foldWeights(k: KernelSetup, n: number, c: number, rowBytes: number, rows: Int32Array, splatW: Float32Array, sliceW: Float32Array): void {
  const { vertex, weight } = k.lat;
  const norm = k.norm;
  const scale = k.lat.alpha * k.potts;
  for (let i = 0, e = 0; i < n; i++) {
    const s = norm[i];
    const t = s * scale;
    for (let r = 0; r < c; r++, e++) {
      rows[e] = vertex[e] * rowBytes;
      splatW[e] = weight[e] * s;
      sliceW[e] = weight[e] * t;
    }
  }
}

function foldNeighbours(lat: Lattice, rowBytes: number, below: Int32Array, above: Int32Array): void {
  for (let e = 0; e < below.length; e++) {
    below[e] = lat.below[e] * rowBytes;
    above[e] = lat.above[e] * rowBytes;
  }
}

/**
 * logits(n, prob, logits, minProb) -> nonzero when some probability is NaN or infinite.
 * Writes log max(p, minProb) into the padded rows, -1e30 in the padding lanes.
 */
function logitsFunc(L: number): FuncDef {
  const chunks = Math.ceil(L / 4);
  const rowBytes = chunks * 16;
  const [n, src, dst, minProb] = [0, 1, 2, 3];
  const [p, minv, flag, x, e, mask] = [4, 5, 6, 7, 8, 9];
  const tail = L % 4;
  const f = new Body();
  f.get(minProb).f32x4Splat().set(minv);
  f.block().loop();
  f.get(p).get(n).i32GeU().brIf(1);
  for (let j = 0; j < chunks; j++) {
    f.get(src)
      .v128Load(16 * j)
      .set(x);
    // exponent bits all ones: NaN or +-Infinity
    f.get(flag).get(x).v128ConstI32(0x7f800000).v128And().v128ConstI32(0x7f800000).i32x4Eq().v128Or().set(flag);
    f.get(x).get(minv).f32x4Max();
    emitLogPositive(f, x, e, mask);
    if (j === chunks - 1 && tail !== 0) {
      f.v128ConstF32(PAD_LOGIT);
      f.v128ConstI32x4([0, 1, 2, 3].map((lane) => (lane < tail ? -1 : 0)) as [number, number, number, number]);
      f.v128Bitselect();
    }
    f.set(x)
      .get(dst)
      .get(x)
      .v128Store(16 * j);
  }
  f.get(src)
    .i32(4 * L)
    .i32Add()
    .set(src);
  f.get(dst).i32(rowBytes).i32Add().set(dst);
  f.get(p).i32(1).i32Add().set(p);
  f.br(0).end().end();
  f.get(flag).v128AnyTrue();
  return { name: 'logits', params: [I32, I32, I32, F32], results: [I32], locals: [I32, V128, V128, V128, V128, V128], body: f };
}

/**
 * ln(x) lane-wise for positive normal x (on the stack; result left on the stack): exponent from
 * the bits, mantissa m centred on [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1)) by its series.
 */
function emitLogPositive(f: Body, x: number, e: number, t: number): void {
  f.set(x);
  f.get(x).i32(23).i32x4ShrU().v128ConstI32(127).i32x4Sub().set(e);
  f.get(x).v128ConstI32(0x007fffff).v128And().v128ConstI32(0x3f800000).v128Or().set(x);
  f.get(x).v128ConstF32(Math.SQRT2).f32x4Gt().set(t);
  f.get(x).v128ConstF32(0.5).f32x4Mul().get(x).get(t).v128Bitselect().set(x);
  f.get(e).get(t).i32x4Sub().set(e); // t is -1 where m was halved
  f.get(x).v128ConstF32(1).f32x4Sub().get(x).v128ConstF32(1).f32x4Add().f32x4Div().set(x);
  f.get(x).get(x).f32x4Mul().set(t);
  f.v128ConstF32(1 / 9);
  for (const c of [1 / 7, 1 / 5, 1 / 3, 1]) f.get(t).f32x4Mul().v128ConstF32(c).f32x4Add();
  f.get(x).f32x4Mul().v128ConstF32(2).f32x4Mul();
  f.get(e).f32x4ConvertI32x4S().v128ConstF32(Math.LN2).f32x4Mul().f32x4Add();
}

/** blur(src, dst, below, above, m): dst[v] = src[v] + (src[below[v]] + src[above[v]]) / 2. */
function blurFunc(chunks: number): FuncDef {
  const [src, dst, below, above, m] = [0, 1, 2, 3, 4];
  const [v, sc, dc, a, b, half] = [5, 6, 7, 8, 9, 10];
  const rowBytes = chunks * 16;
  const f = new Body();
  f.v128ConstF32(0.5).set(half);
  f.get(src).set(sc).get(dst).set(dc);
  f.block().loop();
  f.get(v).get(m).i32GeU().brIf(1);
  f.get(below).i32Load().get(src).i32Add().set(a);
  f.get(above).i32Load().get(src).i32Add().set(b);
  for (let j = 0; j < chunks; j++) {
    f.get(dc);
    f.get(sc).v128Load(16 * j);
    f.get(a)
      .v128Load(16 * j)
      .get(b)
      .v128Load(16 * j)
      .f32x4Add()
      .get(half)
      .f32x4Mul();
    f.f32x4Add().v128Store(16 * j);
  }
  f.get(below).i32(4).i32Add().set(below);
  f.get(above).i32(4).i32Add().set(above);
  f.get(sc).i32(rowBytes).i32Add().set(sc);
  f.get(dc).i32(rowBytes).i32Add().set(dc);
  f.get(v).i32(1).i32Add().set(v);
  f.br(0).end().end();
  return { name: 'blur', params: [I32, I32, I32, I32, I32], locals: [I32, I32, I32, I32, I32, V128], body: f };
}

/**
 * pixelPass(n, logits, q, mode, then per kernel: rows, sliceW, splatW, blurred, splatInto).
 * Per pixel: add the sliced messages when mode has SLICE, softmax, then write Q to the unpadded
 * [n][L] rows at q when mode has WRITE_Q (each row's padding spills into the next row, which is
 * written after it), else splat Q into the next buffers.
 */
function pixelPassFunc(chunks: number, labels: number, corners: number[]): FuncDef {
  const rowBytes = chunks * 16;
  const [n, logits, q, mode] = [0, 1, 2, 3];
  const nk = corners.length;
  const kp = (k: number, field: number) => 4 + 5 * k + field; // rows 0, sliceW 1, splatW 2, blurred 3, splatInto 4
  const params: ValType[] = [I32, I32, I32, I32, ...corners.flatMap(() => [I32, I32, I32, I32, I32] as ValType[])];
  let next = params.length;
  const locals: ValType[] = [];
  const local = (t: ValType) => {
    locals.push(t);
    return next++;
  };
  const p = local(I32);
  const base = local(I32);
  const w = local(V128);
  const t = local(V128);
  const ex = local(V128);
  const en = local(V128);
  const acc = Array.from({ length: chunks }, () => local(V128));

  const f = new Body();
  f.block().loop();
  f.get(p).get(n).i32GeU().brIf(1);
  for (let j = 0; j < chunks; j++)
    f.get(logits)
      .v128Load(16 * j)
      .set(acc[j]);

  f.get(mode).i32(SLICE).i32And().if_();
  for (let k = 0; k < nk; k++) {
    for (let r = 0; r < corners[k]; r++) {
      f.get(kp(k, 0))
        .i32Load(4 * r)
        .get(kp(k, 3))
        .i32Add()
        .set(base);
      f.get(kp(k, 1))
        .f32Load(4 * r)
        .f32x4Splat()
        .set(w);
      for (let j = 0; j < chunks; j++) {
        f.get(acc[j])
          .get(w)
          .get(base)
          .v128Load(16 * j)
          .f32x4Mul()
          .f32x4Add()
          .set(acc[j]);
      }
    }
  }
  f.end();

  // softmax over the label lanes
  f.get(acc[0]);
  for (let j = 1; j < chunks; j++) f.get(acc[j]).f32x4Max();
  f.set(t);
  f.get(t).f32x4Lane(0).get(t).f32x4Lane(1).f32Max().get(t).f32x4Lane(2).f32Max().get(t).f32x4Lane(3).f32Max();
  f.f32x4Splat().set(t);
  for (let j = 0; j < chunks; j++) {
    f.get(acc[j]).get(t).f32x4Sub();
    emitExpNonPositive(f, ex, en);
    f.set(acc[j]);
  }
  f.get(acc[0]);
  for (let j = 1; j < chunks; j++) f.get(acc[j]).f32x4Add();
  f.set(t);
  f.get(t).f32x4Lane(0).get(t).f32x4Lane(1).f32Add().get(t).f32x4Lane(2).f32Add().get(t).f32x4Lane(3).f32Add();
  f.f32x4Splat().set(t);
  f.v128ConstF32(1).get(t).f32x4Div().set(t);
  for (let j = 0; j < chunks; j++) f.get(acc[j]).get(t).f32x4Mul().set(acc[j]);

  f.get(mode).i32(WRITE_Q).i32And().if_();
  for (let j = 0; j < chunks; j++)
    f.get(q)
      .get(acc[j])
      .v128Store(16 * j);
  f.else_();
  for (let k = 0; k < nk; k++) {
    for (let r = 0; r < corners[k]; r++) {
      f.get(kp(k, 0))
        .i32Load(4 * r)
        .get(kp(k, 4))
        .i32Add()
        .set(base);
      f.get(kp(k, 2))
        .f32Load(4 * r)
        .f32x4Splat()
        .set(w);
      for (let j = 0; j < chunks; j++) {
        f.get(base)
          .get(base)
          .v128Load(16 * j)
          .get(acc[j])
          .get(w)
          .f32x4Mul()
          .f32x4Add()
          .v128Store(16 * j);
      }
    }
  }
  f.end();

  f.get(logits).i32(rowBytes).i32Add().set(logits);
  f.get(q)
    .i32(4 * labels)
    .i32Add()
    .set(q);
  for (let k = 0; k < nk; k++) {
    for (const field of [0, 1, 2])
      f.get(kp(k, field))
        .i32(4 * corners[k])
        .i32Add()
        .set(kp(k, field));
  }
  f.get(p).i32(1).i32Add().set(p);
  f.br(0).end().end();
  return { name: 'pixelPass', params, locals, body: f };
}

/**
 * exp(x) lane-wise for x <= 0 (x on the stack, result left on the stack): 2^t with t = x log2 e
 * clamped at -126, split into floor(t) (exponent bits) and a degree-7 polynomial of the fraction.
 */
function emitExpNonPositive(f: Body, x: number, fl: number): void {
  f.v128ConstF32(Math.LOG2E).f32x4Mul().v128ConstF32(-126).f32x4Max().set(x);
  f.get(x).f32x4Floor().set(fl);
  f.get(x).get(fl).f32x4Sub().set(x);
  // Taylor coefficients of 2^f = sum (f ln 2)^k / k!, highest first (k = 7 .. 1).
  const coef = [7, 6, 5, 4, 3, 2, 1].map((k) => Math.LN2 ** k / factorial(k));
  f.v128ConstF32(coef[0]);
  for (let i = 1; i < coef.length; i++) f.get(x).f32x4Mul().v128ConstF32(coef[i]).f32x4Add();
  f.get(x).f32x4Mul().v128ConstF32(1).f32x4Add();
  f.get(fl).i32x4TruncSatF32x4S().v128ConstI32(127).i32x4Add().i32(23).i32x4Shl();
  f.f32x4Mul();
}

function factorial(k: number): number {
  let r = 1;
  for (let i = 2; i <= k; i++) r *= i;
  return r;
}
