// Permutohedral lattice (Adams, Baek, Davis, Eurographics 2010): approximate Gaussian filtering in a
// d-dimensional feature space in O(n d^2 + m d) per value channel. Points are lifted onto the plane
// x . 1 = 0 in R^(d+1), splatted with barycentric weights onto the d+1 vertices of their enclosing
// simplex, blurred with [1/2 1 1/2] along each of the d+1 lattice directions and sliced back.
//
// Everything that depends only on the features (enclosing vertices, barycentric weights, the blur
// neighbours of every vertex) is computed once in `buildLattice`, so that repeated filtering (the
// CRF's normalisation pass and every mean-field iteration) is pure array arithmetic.

/** The lattice built for one set of points; all arrays are owned by it and read-only to callers. */
export interface Lattice {
  /** feature dimension */
  readonly d: number;
  /** number of points */
  readonly n: number;
  /** number of lattice vertices; index m is a permanently zero "missing neighbour" row */
  readonly m: number;
  /** [n][d+1] vertex index of each point's simplex corners */
  readonly vertex: Int32Array;
  /** [n][d+1] barycentric weight of each corner (sums to 1 per point) */
  readonly weight: Float32Array;
  /** [d+1][m] lower neighbour of each vertex along each lattice direction (m when absent) */
  readonly below: Int32Array;
  /** [d+1][m] upper neighbour of each vertex along each lattice direction (m when absent) */
  readonly above: Int32Array;
  /** slice scale that makes splat-blur-slice approximate a unit Gaussian (Adams et al.) */
  readonly alpha: number;
}

/**
 * Builds the lattice for `n` points with `d` features each, laid out [n][d] in `features`.
 * Features are in units of the Gaussian's standard deviation (callers divide by sigma).
 */
export function buildLattice(features: Float32Array, n: number, d: number): Lattice {
  if (!Number.isInteger(d) || d < 1) throw new Error(`lattice dimension must be a positive integer, got ${d}`);
  if (features.length !== n * d) {
    throw new Error(`features has ${features.length} values, expected n*d = ${n}*${d} = ${n * d}`);
  }
  const vertex = new Int32Array(n * (d + 1));
  const weight = new Float32Array(n * (d + 1));
  // Sized for a small lattice and grown on demand: a table sized for n points (usually 3-30x the
  // vertex count) spills out of cache and made every lookup a miss.
  const table = new VertexTable(d, 1024);
  locatePoints(features, n, d, table, vertex, weight);
  const m = table.size;
  const { below, above } = linkNeighbours(table, d);
  return { d, n, m, vertex, weight, below, above, alpha: 1 / (1 + 2 ** -d) };
}

type PointLocator = (
  features: Float32Array,
  p: number,
  table: VertexTable,
  vertex: Int32Array,
  weight: Float32Array,
  bary: Float64Array,
  key: Int32Array,
  prev: Int32Array,
) => void;
const locators = new Map<number, PointLocator>();

/**
 * Finds every point's enclosing simplex: its d+1 vertices (inserted in `table`) and barycentric
 * weights. The per-point arithmetic is generated for the given d with every coordinate in a local
 * variable (the same loops over small typed arrays run several times slower in V8), one call per
 * point: a generated whole-image loop only ever ran as on-stack-replaced code and was deoptimised
 * at the start of every call.
 */
function locatePoints(features: Float32Array, n: number, d: number, table: VertexTable, vertex: Int32Array, weight: Float32Array): void {
  let locate = locators.get(d);
  if (!locate) {
    const src = locatorSource(d);
    locate = new Function('features', 'p', 'table', 'vertex', 'weight', 'bary', 'key', 'prev', src) as PointLocator;
    locators.set(d, locate);
  }
  const bary = new Float64Array(d + 2);
  const key = new Int32Array(d);
  // previous point's remainder-0 point and ranks; an impossible rank means "none yet"
  const prev = new Int32Array(2 * (d + 1)).fill(-1);
  for (let p = 0; p < n; p++) locate(features, p, table, vertex, weight, bary, key, prev);
}

function locatorSource(d: number): string {
  const d1 = d + 1;
  const invStdDev = Math.sqrt(2 / 3) * d1;
  const all = Array.from({ length: d1 }, (_, i) => i);
  const lines: string[] = [];
  const emit = (line: string) => lines.push(line);
  emit(`const fb = p * ${d};`);
  // Lift onto the hyperplane x . 1 = 0 (coordinates scaled so the blur is a unit Gaussian).
  emit(`let sum = 0, cf = 0;`);
  for (let j = d; j > 0; j--) {
    const scale = invStdDev / Math.sqrt(j * (j + 1));
    emit(`cf = features[fb + ${j - 1}] * ${scale}; const e${j} = sum - ${j} * cf; sum += cf;`);
  }
  emit(`const e0 = sum;`);
  // Nearest remainder-0 lattice point (ties go down), and the sum of its coordinates / (d+1).
  for (const i of all) {
    emit(`let r${i} = Math.floor(e${i} * ${1 / d1}) * ${d1}; if (r${i} + ${d1} - e${i} < e${i} - r${i}) r${i} += ${d1};`);
  }
  emit(`const remSum = Math.round((${all.map((i) => `r${i}`).join(' + ')}) * ${1 / d1});`);
  // Rank of each residual, by pairwise comparison.
  for (const i of all) emit(`let k${i} = remSum; const x${i} = e${i} - r${i};`);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j <= d; j++) emit(`if (x${i} < x${j}) k${i}++; else k${j}++;`);
  }
  // Wrap ranks so the remainder-0 point lies on the plane.
  for (const i of all) {
    emit(`if (k${i} < 0) { k${i} += ${d1}; r${i} += ${d1}; } else if (k${i} > ${d}) { k${i} -= ${d1}; r${i} -= ${d1}; }`);
  }
  for (let i = 0; i < d + 2; i++) emit(`bary[${i}] = 0;`);
  for (const i of all) {
    emit(`{ const v = (e${i} - r${i}) * ${1 / d1}; bary[${d} - k${i}] += v; bary[${d + 1} - k${i}] -= v; }`);
  }
  emit(`bary[0] += 1 + bary[${d + 1}];`);
  emit(`const ob = p * ${d1};`);
  for (const i of all) emit(`weight[ob + ${i}] = bary[${i}];`);
  // Neighbouring points often share a simplex (smooth features): reuse its vertices.
  emit(`if (${all.map((i) => `r${i} === prev[${i}] && k${i} === prev[${d1 + i}]`).join(' && ')}) {`);
  for (const i of all) emit(`  vertex[ob + ${i}] = vertex[ob - ${d1} + ${i}];`);
  emit(`  return;`);
  emit(`}`);
  for (const i of all) emit(`prev[${i}] = r${i}; prev[${d1 + i}] = k${i};`);
  // Vertex of remainder q: coordinate i is r_i + q, minus (d+1) when its rank exceeds d - q.
  for (const q of all) {
    for (let i = 0; i < d; i++) emit(`key[${i}] = k${i} <= ${d - q} ? r${i} + ${q} : r${i} + ${q - d1};`);
    emit(`vertex[ob + ${q}] = table.insert(key);`);
  }
  return lines.join('\n');
}

function linkNeighbours(table: VertexTable, d: number): { below: Int32Array; above: Int32Array } {
  const d1 = d + 1;
  const m = table.size;
  // The lower neighbour along direction j has every coordinate -1 except coordinate j, which is
  // +d (the (d+1)-th coordinate is implicit, so for j = d only the -1 shifts remain). Only lower
  // neighbours are looked up: u is the upper neighbour of v exactly when v is the lower of u.
  const keys = table.keys;
  const slots = table.slotArray;
  const mask = slots.length - 1;
  const below = new Int32Array(d1 * m);
  const above = new Int32Array(d1 * m).fill(m);
  const lo = new Int32Array(d);
  for (let j = 0; j <= d; j++) {
    const base = j * m;
    for (let v = 0; v < m; v++) {
      const kb = v * d;
      for (let i = 0; i < d; i++) lo[i] = keys[kb + i] - 1;
      if (j < d) lo[j] = keys[kb + j] + d;
      const a = findKey(slots, mask, keys, d, lo);
      if (a < 0) {
        below[base + v] = m;
      } else {
        below[base + v] = a;
        above[base + a] = v;
      }
    }
  }
  return { below, above };
}

/**
 * Filters `values` ([n][vd], row-major) with the lattice: splat, blur, slice (times alpha).
 * Allocates its own buffers; the CRF uses its own fused loops instead of this in the hot path.
 */
export function latticeFilter(lat: Lattice, values: Float32Array, vd: number, out?: Float32Array): Float32Array {
  const { n, m, d } = lat;
  if (values.length !== n * vd) throw new Error(`values has ${values.length} entries, expected ${n}*${vd}`);
  const result = out ?? new Float32Array(n * vd);
  const d1 = d + 1;
  let src = new Float32Array((m + 1) * vd);
  let dst = new Float32Array((m + 1) * vd);
  const { vertex, weight } = lat;
  for (let p = 0; p < n; p++) {
    const ib = p * vd;
    for (let r = 0; r < d1; r++) {
      const w = weight[p * d1 + r];
      const vb = vertex[p * d1 + r] * vd;
      for (let k = 0; k < vd; k++) src[vb + k] += w * values[ib + k];
    }
  }
  for (let j = 0; j < d1; j++) {
    blurDirection(lat, j, src, dst, vd);
    const t = src;
    src = dst;
    dst = t;
  }
  const alpha = lat.alpha;
  for (let p = 0; p < n; p++) {
    const ob = p * vd;
    for (let k = 0; k < vd; k++) result[ob + k] = 0;
    for (let r = 0; r < d1; r++) {
      const w = weight[p * d1 + r] * alpha;
      const vb = vertex[p * d1 + r] * vd;
      for (let k = 0; k < vd; k++) result[ob + k] += w * src[vb + k];
    }
  }
  return result;
}

/**
 * One blur pass along lattice direction j: dst[v] = src[v] + (src[below] + src[above]) / 2.
 * Row m of both buffers must be zero (absent neighbours point at it); it is never written.
 */
export function blurDirection(lat: Lattice, j: number, src: Float32Array, dst: Float32Array, vd: number): void {
  const m = lat.m;
  const below = lat.below;
  const above = lat.above;
  const base = j * m;
  for (let v = 0; v < m; v++) {
    const c = v * vd;
    const a = below[base + v] * vd;
    const b = above[base + v] * vd;
    for (let k = 0; k < vd; k++) dst[c + k] = src[c + k] + 0.5 * (src[a + k] + src[b + k]);
  }
}

function hashKey(key: Int32Array, at: number, d: number): number {
  let h = 0;
  for (let i = 0; i < d; i++) {
    h = Math.imul(h ^ key[at + i], 0x9e3779b1);
    h ^= h >>> 16;
  }
  return h;
}

/** Index of `key` in an open-addressing table (`slots` holds vertex indices or -1), or -1. */
function findKey(slots: Int32Array, mask: number, keys: Int32Array, d: number, key: Int32Array): number {
  let s = hashKey(key, 0, d) & mask;
  for (;;) {
    const v = slots[s];
    if (v < 0) return -1;
    const kb = v * d;
    let i = 0;
    while (i < d && keys[kb + i] === key[i]) i++;
    if (i === d) return v;
    s = (s + 1) & mask;
  }
}

/** Open-addressing hash table from integer lattice keys (d ints) to dense vertex indices. */
class VertexTable {
  keys: Int32Array;
  size = 0;
  slotArray: Int32Array;

  constructor(
    private readonly d: number,
    expected: number,
  ) {
    let cap = 1;
    while (cap < expected * 2) cap <<= 1;
    this.slotArray = new Int32Array(cap).fill(-1);
    this.keys = new Int32Array(Math.max(1, expected) * d);
  }

  /** Index of `key`, inserting it when new. */
  insert(key: Int32Array): number {
    const found = findKey(this.slotArray, this.slotArray.length - 1, this.keys, this.d, key);
    if (found >= 0) return found;
    const d = this.d;
    const idx = this.size++;
    if (idx * d + d > this.keys.length) {
      const grown = new Int32Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys.set(key, idx * d);
    if (this.size * 2 > this.slotArray.length) this.rehash();
    else this.place(idx);
    return idx;
  }

  private place(v: number): void {
    const slots = this.slotArray;
    const mask = slots.length - 1;
    let s = hashKey(this.keys, v * this.d, this.d) & mask;
    while (slots[s] >= 0) s = (s + 1) & mask;
    slots[s] = v;
  }

  private rehash(): void {
    this.slotArray = new Int32Array(this.slotArray.length * 2).fill(-1);
    for (let v = 0; v < this.size; v++) this.place(v);
  }
}
