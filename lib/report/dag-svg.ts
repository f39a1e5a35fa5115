// The pipeline DAG as inline SVG, drawn top to bottom: a node's row is its longest distance from a
// source, and within a row nodes are ordered by where their inputs sit. Only the edges of the
// transitive reduction are drawn: every stage reads `dataset`, and ten arrows out of one box say
// less than the chain they shortcut (the stage table lists every input).
import { esc } from './html.ts';

export type NodeState = 'run' | 'cached' | 'failed' | 'skipped' | 'missing' | 'unknown' | 'this';

export interface DagNode {
  id: string;
  title: string;
  /** second line: short key, time */
  detail: string;
  state: NodeState;
  /** tooltip text */
  tooltip?: string;
}

export interface DagEdge {
  from: string;
  to: string;
}

export interface DagLayout {
  level: Map<string, number>;
  /** position within its level, 0-based */
  lane: Map<string, number>;
  levels: string[][];
  edges: DagEdge[];
}

/** Edges u->v with no other path from u to v. */
export function transitiveReduction(ids: string[], edges: DagEdge[]): DagEdge[] {
  const succ = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) succ.get(e.from)?.push(e.to);
  const reachableAvoiding = (from: string, to: string): boolean => {
    // is `to` reachable from `from` without taking the direct edge from->to?
    const seen = new Set<string>();
    const stack = (succ.get(from) ?? []).filter((n) => n !== to);
    while (stack.length) {
      const n = stack.pop()!;
      if (n === to) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(succ.get(n) ?? []));
    }
    return false;
  };
  const unique = new Map(edges.map((e) => [`${e.from}\u0000${e.to}`, e]));
  return [...unique.values()].filter((e) => !reachableAvoiding(e.from, e.to));
}

export function layoutDag(ids: string[], edges: DagEdge[]): DagLayout {
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) preds.get(e.to)?.push(e.from);
  const level = new Map<string, number>();
  const depth = (id: string, guard: Set<string>): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (guard.has(id)) throw new Error(`DAG has a cycle through ${id}`);
    guard.add(id);
    const ps = preds.get(id) ?? [];
    const d = ps.length ? 1 + Math.max(...ps.map((p) => depth(p, guard))) : 0;
    guard.delete(id);
    level.set(id, d);
    return d;
  };
  for (const id of ids) depth(id, new Set());
  const levels: string[][] = [];
  for (const id of ids) {
    const l = level.get(id)!;
    levels[l] ??= [];
    levels[l].push(id);
  }
  const lane = new Map<string, number>();
  for (const row of levels) {
    // barycentre of the inputs' lanes, normalised by the width of their rows; ties keep input order
    const key = (id: string): number => {
      const ps = preds.get(id) ?? [];
      if (!ps.length) return 0;
      return ps.reduce((s, p) => s + (lane.get(p)! + 0.5) / levels[level.get(p)!].length, 0) / ps.length;
    };
    const order = row.map((id, i) => ({ id, i, k: key(id) })).sort((a, b) => a.k - b.k || a.i - b.i);
    order.forEach((o, j) => {
      lane.set(o.id, j);
    });
    row.splice(0, row.length, ...order.map((o) => o.id));
  }
  return { level, lane, levels, edges: transitiveReduction(ids, edges) };
}

const STYLE: Record<NodeState, { fill: string; stroke: string; label: string }> = {
  run: { fill: '#e6f4ea', stroke: '#2f855a', label: 'computed' },
  cached: { fill: '#e8eef9', stroke: '#3f63a8', label: 'cached' },
  failed: { fill: '#fde8e8', stroke: '#c53030', label: 'failed' },
  skipped: { fill: '#f4f4f4', stroke: '#999999', label: 'skipped' },
  missing: { fill: '#f4f4f4', stroke: '#999999', label: 'not in cache' },
  unknown: { fill: '#ffffff', stroke: '#777777', label: 'no run record' },
  this: { fill: '#fff7e0', stroke: '#b7791f', label: 'this report' },
};

export const NODE_STATE_LABEL: Record<NodeState, string> = Object.fromEntries(Object.entries(STYLE).map(([k, v]) => [k, v.label])) as Record<NodeState, string>;

export function nodeStateColours(state: NodeState): { fill: string; stroke: string } {
  return { fill: STYLE[state].fill, stroke: STYLE[state].stroke };
}

/**
 * Left x of every node: each row in lane order, every node pulled to the mean x of the inputs it is
 * drawn from (reduced edges), then pushed apart to `pitch` and the row re-centred on its pulls. A
 * chain then runs straight down and a side branch keeps its own column, so an edge that skips a
 * row does not cut through the node in between.
 */
export function placeNodes(lay: DagLayout, pitch: number): Map<string, number> {
  const preds = new Map<string, string[]>();
  for (const e of lay.edges) preds.set(e.to, [...(preds.get(e.to) ?? []), e.from]);
  const x = new Map<string, number>();
  for (const row of lay.levels) {
    const want = row.map((id, j) => {
      const ps = (preds.get(id) ?? []).filter((p) => x.has(p));
      return ps.length ? ps.reduce((s, p) => s + x.get(p)!, 0) / ps.length : (j - (row.length - 1) / 2) * pitch;
    });
    // siblings pulled to the same spot spread around it
    const got = [...want];
    for (let j = 1; j < got.length; j++) got[j] = Math.max(got[j], got[j - 1] + pitch);
    const shift = want.reduce((s, v) => s + v, 0) / want.length - got.reduce((s, v) => s + v, 0) / got.length;
    row.forEach((id, j) => {
      x.set(id, got[j] + shift);
    });
  }
  return x;
}

export interface DagSvgOptions {
  nodeWidth?: number;
  nodeHeight?: number;
  rowGap?: number;
  colGap?: number;
}

export function dagSvg(nodes: DagNode[], edges: DagEdge[], opts: DagSvgOptions = {}): string {
  const W = opts.nodeWidth ?? 176;
  const H = opts.nodeHeight ?? 40;
  const rowGap = opts.rowGap ?? 22;
  const colGap = opts.colGap ?? 24;
  const pad = 8;
  const ids = nodes.map((n) => n.id);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const lay = layoutDag(ids, edges);
  const pos = placeNodes(lay, W + colGap);
  const xs = [...pos.values()];
  const minX = Math.min(...xs);
  const width = pad * 2 + Math.max(...xs) - minX + W;
  const height = pad * 2 + lay.levels.length * H + (lay.levels.length - 1) * rowGap;
  const at = (id: string): { x: number; y: number } => ({ x: pad + pos.get(id)! - minX, y: pad + lay.level.get(id)! * (H + rowGap) });
  const parts: string[] = [];
  parts.push(
    `<svg class="dag" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="pipeline DAG">`,
    '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#666"/></marker></defs>',
  );
  for (const e of lay.edges) {
    if (!pos.has(e.from) || !pos.has(e.to)) continue;
    const a = at(e.from);
    const b = at(e.to);
    const x1 = a.x + W / 2;
    const y1 = a.y + H;
    const x2 = b.x + W / 2;
    const y2 = b.y - 1;
    const my = (y1 + y2) / 2;
    parts.push(`<path d="M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}" fill="none" stroke="#666" stroke-width="1.3" marker-end="url(#arrow)"/>`);
  }
  for (const id of ids) {
    const n = byId.get(id)!;
    const p = at(id);
    const s = STYLE[n.state];
    const dash = n.state === 'missing' || n.state === 'unknown' ? ' stroke-dasharray="4 3"' : '';
    parts.push(
      `<g class="node ${n.state}"><title>${esc(n.tooltip ?? `${n.title}: ${s.label}`)}</title>`,
      `<rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="6" fill="${s.fill}" stroke="${s.stroke}" stroke-width="1.5"${dash}/>`,
      `<text x="${p.x + 10}" y="${p.y + 16}" font-size="13" font-weight="600" fill="#1a202c">${esc(n.title)}</text>`,
      `<text x="${p.x + W - 10}" y="${p.y + 16}" font-size="10.5" text-anchor="end" fill="${s.stroke}">${esc(s.label)}</text>`,
      `<text x="${p.x + 10}" y="${p.y + 31}" font-size="10.5" fill="#4a5568" font-family="ui-monospace,Menlo,Consolas,monospace">${esc(n.detail)}</text>`,
      '</g>',
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
