// The stage graph: graphology holds it, graphology-dag orders it; a cycle is reported as the path
// that closes it (`a -> b -> a`), which graphology-dag alone does not give.
import { DirectedGraph } from 'graphology';
import { hasCycle, topologicalSort } from 'graphology-dag';

export function buildGraph(stages: string[], edges: { from: string; to: string; slot: string }[]): DirectedGraph {
  const g = new DirectedGraph();
  for (const s of stages) g.addNode(s);
  for (const e of edges) {
    if (!g.hasEdge(e.from, e.to)) g.addDirectedEdge(e.from, e.to, { slots: [e.slot] });
    else (g.getEdgeAttribute(e.from, e.to, 'slots') as string[]).push(e.slot);
  }
  return g;
}

/** The first cycle found, as a closed path, or null. */
export function findCycle(g: DirectedGraph): string[] | null {
  if (!hasCycle(g)) return null;
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  let found: string[] | null = null;
  const visit = (n: string): void => {
    if (found) return;
    state.set(n, 'open');
    stack.push(n);
    for (const m of g.outNeighbors(n)) {
      if (found) return;
      if (state.get(m) === 'open') found = [...stack.slice(stack.indexOf(m)), m];
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.nodes()) if (!state.has(n)) visit(n);
  return found;
}

/**
 * Dependency order that keeps declaration order wherever dependencies allow (a stage comes as
 * early as its inputs permit, ties broken by where the file declares it), so `dag` and `status`
 * read like pipeline.yaml.
 */
export function topoOrder(g: DirectedGraph): string[] {
  const declared = g.nodes();
  const pending = new Map(declared.map((n) => [n, g.inDegree(n)]));
  const order: string[] = [];
  while (order.length < declared.length) {
    const next = declared.find((n) => pending.get(n) === 0);
    if (next === undefined) return topologicalSort(g); // unreachable once findCycle passed
    pending.set(next, -1);
    order.push(next);
    for (const m of g.outNeighbors(next)) pending.set(m, pending.get(m)! - 1);
  }
  return order;
}

function reachable(node: string, next: (n: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [node];
  while (stack.length) {
    for (const m of next(stack.pop()!)) {
      if (!seen.has(m)) {
        seen.add(m);
        stack.push(m);
      }
    }
  }
  return seen;
}

export function ancestorsOf(g: DirectedGraph, node: string): Set<string> {
  return reachable(node, (n) => g.inNeighbors(n));
}

export function descendantsOf(g: DirectedGraph, node: string): Set<string> {
  return reachable(node, (n) => g.outNeighbors(n));
}
