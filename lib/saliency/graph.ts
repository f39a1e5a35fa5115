// Superpixel region graph: per-region statistics, adjacency, and geodesic (shortest-path) distances
// over colour-difference edge weights.

import type { LabPlanes } from './colour.ts';
import type { Superpixels } from './slic.ts';

export interface RegionStats {
  count: number;
  /** mean Lab per region */
  L: Float32Array;
  a: Float32Array;
  b: Float32Array;
  /** mean position per region, normalised by the longer image side */
  x: Float32Array;
  y: Float32Array;
  /** pixels per region */
  size: Int32Array;
  /** 1 when the region touches the image border */
  onBorder: Uint8Array;
  /** k x k, 1 where two regions share a 4-connected pixel edge */
  adjacent: Uint8Array;
}

export function regionStats(sp: Superpixels, lab: LabPlanes): RegionStats {
  const { labels, count: k, width, height } = sp;
  const L = new Float64Array(k);
  const a = new Float64Array(k);
  const b = new Float64Array(k);
  const x = new Float64Array(k);
  const y = new Float64Array(k);
  const size = new Int32Array(k);
  const onBorder = new Uint8Array(k);
  const adjacent = new Uint8Array(k * k);
  for (let py = 0, p = 0; py < height; py++) {
    for (let px = 0; px < width; px++, p++) {
      const r = labels[p];
      L[r] += lab.L[p];
      a[r] += lab.a[p];
      b[r] += lab.b[p];
      x[r] += px;
      y[r] += py;
      size[r]++;
      if (px === 0 || py === 0 || px === width - 1 || py === height - 1) onBorder[r] = 1;
      if (px + 1 < width) {
        const q = labels[p + 1];
        if (q !== r) adjacent[r * k + q] = adjacent[q * k + r] = 1;
      }
      if (py + 1 < height) {
        const q = labels[p + width];
        if (q !== r) adjacent[r * k + q] = adjacent[q * k + r] = 1;
      }
    }
  }
  const norm = Math.max(width, height);
  const out: RegionStats = {
    count: k,
    L: new Float32Array(k),
    a: new Float32Array(k),
    b: new Float32Array(k),
    x: new Float32Array(k),
    y: new Float32Array(k),
    size,
    onBorder,
    adjacent,
  };
  for (let r = 0; r < k; r++) {
    const m = Math.max(1, size[r]);
    out.L[r] = L[r] / m;
    out.a[r] = a[r] / m;
    out.b[r] = b[r] / m;
    out.x[r] = (x[r] / m + 0.5) / norm;
    out.y[r] = (y[r] / m + 0.5) / norm;
  }
  return out;
}

/** k x k Euclidean Lab distances between region means. */
export function colourDistances(st: RegionStats): Float32Array {
  const k = st.count;
  const d = new Float32Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const dl = st.L[i] - st.L[j];
      const da = st.a[i] - st.a[j];
      const db = st.b[i] - st.b[j];
      const v = Math.sqrt(dl * dl + da * da + db * db);
      d[i * k + j] = v;
      d[j * k + i] = v;
    }
  }
  return d;
}

/** Undirected weighted graph in CSR form. */
export interface Csr {
  offsets: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

export function toCsr(k: number, edge: (i: number, j: number) => number | undefined): Csr {
  const lists: number[][] = [];
  const wlists: number[][] = [];
  for (let i = 0; i < k; i++) {
    lists.push([]);
    wlists.push([]);
  }
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const w = edge(i, j);
      if (w === undefined) continue;
      lists[i].push(j);
      wlists[i].push(w);
      lists[j].push(i);
      wlists[j].push(w);
    }
  }
  const offsets = new Int32Array(k + 1);
  for (let i = 0; i < k; i++) offsets[i + 1] = offsets[i] + lists[i].length;
  const targets = new Int32Array(offsets[k]);
  const weights = new Float32Array(offsets[k]);
  for (let i = 0; i < k; i++) {
    targets.set(lists[i], offsets[i]);
    weights.set(wlists[i], offsets[i]);
  }
  return { offsets, targets, weights };
}

/**
 * Single-source shortest paths (Dijkstra, binary heap with lazy deletion) written into `out`
 * (length k). Nodes farther than `cutoff` keep Infinity: callers only use exp(-d^2/2s^2), which is
 * negligible there. `heapNodes`/`heapKeys` are scratch space of at least edges + 1 entries.
 */
export function dijkstra(g: Csr, source: number, cutoff: number, out: Float64Array, heapNodes: Int32Array, heapKeys: Float64Array): void {
  out.fill(Infinity);
  out[source] = 0;
  const { offsets, targets, weights } = g;
  heapNodes[0] = source;
  heapKeys[0] = 0;
  let size = 1;
  while (size > 0) {
    const node = heapNodes[0];
    const key = heapKeys[0];
    size--;
    if (size > 0) {
      // sift the last entry down from the root
      const lastKey = heapKeys[size];
      const lastNode = heapNodes[size];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= size) break;
        if (c + 1 < size && heapKeys[c + 1] < heapKeys[c]) c++;
        if (heapKeys[c] >= lastKey) break;
        heapKeys[i] = heapKeys[c];
        heapNodes[i] = heapNodes[c];
        i = c;
      }
      heapKeys[i] = lastKey;
      heapNodes[i] = lastNode;
    }
    if (key > out[node]) continue; // stale entry
    if (key > cutoff) break;
    const e1 = offsets[node + 1];
    for (let e = offsets[node]; e < e1; e++) {
      const t = targets[e];
      const nd = key + weights[e];
      if (nd < out[t]) {
        out[t] = nd;
        // sift up
        let i = size++;
        while (i > 0) {
          const parent = (i - 1) >> 1;
          if (heapKeys[parent] <= nd) break;
          heapKeys[i] = heapKeys[parent];
          heapNodes[i] = heapNodes[parent];
          i = parent;
        }
        heapKeys[i] = nd;
        heapNodes[i] = t;
      }
    }
  }
}
