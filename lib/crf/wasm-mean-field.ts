// Mean-field inference with WebAssembly SIMD kernels generated for the label count and lattice
// dimensions at hand. Same arithmetic as the JavaScript loop in dense-crf.ts, four labels per
// instruction: V8 does not vectorise typed-array loops, and scalar JS is several times slower
// than the C++ reference's SSE code on the splat/blur/slice streams.
//
// Memory layout (one WebAssembly.Memory per call, all regions 16-byte aligned, labels padded to a
// multiple of 4 so every label row is whole vectors):
//   logits  [n][Lp] f32   -U on entry (padding lanes -1e30 so they get probability 0), Q on exit
//   per kernel: rows [n][c] i32 byte offset of each corner's row, sliceW and splatW [n][c] f32,
//   below/above [c][m] i32 byte offsets of blur neighbours, two value buffers [(m+1)][Lp] f32.

import { Body, assembleModule, I32, V128, type FuncDef, type ValType } from './wasm-asm.ts';
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
 * Runs `iterations` mean-field updates; `unary` is U = -log p laid out [n][labels].
 * Returns Q laid out [n][labels].
 */
export function meanFieldWasm(unary: Float32Array, n: number, labels: number, kernels: KernelSetup[], iterations: number): Float32Array {
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

  const logits = f32(logitsAt, n * Lp);
  for (let i = 0; i < n; i++) {
    const s = i * L;
    const d = i * Lp;
    for (let l = 0; l < L; l++) logits[d + l] = -unary[s + l];
    for (let l = L; l < Lp; l++) logits[d + l] = PAD_LOGIT;
  }
  for (const p of plans) {
    const { lat, norm, potts } = p.k;
    const c = p.c;
    const rows = i32(p.rows, n * c);
    const sliceW = f32(p.sliceW, n * c);
    const splatW = f32(p.splatW, n * c);
    const scale = lat.alpha * potts;
    for (let i = 0; i < n; i++) {
      const s = norm[i];
      for (let r = 0; r < c; r++) {
        const e = i * c + r;
        rows[e] = lat.vertex[e] * rowBytes;
        splatW[e] = lat.weight[e] * s;
        sliceW[e] = lat.weight[e] * s * scale;
      }
    }
    const below = i32(p.below, c * p.m);
    const above = i32(p.above, c * p.m);
    for (let e = 0; e < c * p.m; e++) {
      below[e] = lat.below[e] * rowBytes;
      above[e] = lat.above[e] * rowBytes;
    }
  }

  // The memory is reused across calls: clear what the passes expect to start at zero (the first
  // splat target, and the always-zero row m of both value buffers).
  for (const p of plans) {
    new Float32Array(buf, p.bufA, (p.m + 1) * Lp).fill(0);
    new Float32Array(buf, p.bufB + p.m * rowBytes, Lp).fill(0);
  }

  const corners = plans.map((p) => p.c);
  const key = `${chunks}:${corners.join(',')}`;
  let mod = modules.get(key);
  if (!mod) {
    mod = new WebAssembly.Module(assembleModule([blurFunc(chunks), pixelPassFunc(chunks, corners)]));
    modules.set(key, mod);
  }
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  const blur = inst.exports.blur as (src: number, dst: number, below: number, above: number, m: number) => void;
  const pass = inst.exports.pixelPass as (...args: number[]) => void;

  const passes = plans.length === 0 ? 0 : iterations;
  // splatInto[k]: buffer the next pixel pass splats into; blurred[k]: buffer it slices from.
  const splatInto = plans.map((p) => p.bufA);
  const blurred = plans.map((p) => p.bufB);
  const args = (mode: number): number[] => {
    const a = [n, logitsAt, mode];
    plans.forEach((p, k) => a.push(p.rows, p.sliceW, p.splatW, blurred[k], splatInto[k]));
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

  const q = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    const s = i * Lp;
    const d = i * L;
    for (let l = 0; l < L; l++) q[d + l] = logits[s + l];
  }
  return q;
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
    f.get(a).v128Load(16 * j).get(b).v128Load(16 * j).f32x4Add().get(half).f32x4Mul();
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
 * pixelPass(n, logits, mode, then per kernel: rows, sliceW, splatW, blurred, splatInto).
 * Per pixel: add the sliced messages when mode has SLICE, softmax, then write Q over the logits
 * row when mode has WRITE_Q, else splat Q into the next buffers.
 */
function pixelPassFunc(chunks: number, corners: number[]): FuncDef {
  const rowBytes = chunks * 16;
  const [n, logits, mode] = [0, 1, 2];
  const nk = corners.length;
  const kp = (k: number, field: number) => 3 + 5 * k + field; // rows 0, sliceW 1, splatW 2, blurred 3, splatInto 4
  const params: ValType[] = [I32, I32, I32, ...corners.flatMap(() => [I32, I32, I32, I32, I32] as ValType[])];
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
  for (let j = 0; j < chunks; j++) f.get(logits).v128Load(16 * j).set(acc[j]);

  f.get(mode).i32(SLICE).i32And().if_();
  for (let k = 0; k < nk; k++) {
    for (let r = 0; r < corners[k]; r++) {
      f.get(kp(k, 0)).i32Load(4 * r).get(kp(k, 3)).i32Add().set(base);
      f.get(kp(k, 1)).f32Load(4 * r).f32x4Splat().set(w);
      for (let j = 0; j < chunks; j++) {
        f.get(acc[j]).get(w).get(base).v128Load(16 * j).f32x4Mul().f32x4Add().set(acc[j]);
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
  for (let j = 0; j < chunks; j++) f.get(logits).get(acc[j]).v128Store(16 * j);
  f.else_();
  for (let k = 0; k < nk; k++) {
    for (let r = 0; r < corners[k]; r++) {
      f.get(kp(k, 0)).i32Load(4 * r).get(kp(k, 4)).i32Add().set(base);
      f.get(kp(k, 2)).f32Load(4 * r).f32x4Splat().set(w);
      for (let j = 0; j < chunks; j++) {
        f.get(base).get(base).v128Load(16 * j).get(acc[j]).get(w).f32x4Mul().f32x4Add().v128Store(16 * j);
      }
    }
  }
  f.end();

  f.get(logits).i32(rowBytes).i32Add().set(logits);
  for (let k = 0; k < nk; k++) {
    for (const field of [0, 1, 2]) f.get(kp(k, field)).i32(4 * corners[k]).i32Add().set(kp(k, field));
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
  const coef = [7, 6, 5, 4, 3, 2, 1].map((k) => Math.pow(Math.LN2, k) / factorial(k));
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
