// The DAG as a mermaid flowchart: an edge per input slot, idle on-demand stages dotted to where
// they would feed.
import type { Pipeline } from '../../dag/load.ts';

/** mermaid node ids take no dashes */
const id = (stage: string): string => stage.replace(/-/g, '_');

export function mermaidDag(p: Pick<Pipeline, 'order' | 'stages' | 'graph' | 'idle'>): string {
  const lines = ['graph LR'];
  for (const name of p.order) {
    const ins = Object.entries(p.stages.get(name)!.inputs);
    if (!ins.length && ![...p.graph.outNeighbors(name)].length) lines.push(`  ${id(name)}[${name}]`);
    for (const [slot, up] of ins) lines.push(`  ${id(up)}[${up}] -->|${slot}| ${id(name)}[${name}]`);
  }
  for (const s of p.idle) {
    if (!s.readers.length) lines.push(`  ${id(s.name)}[${s.name}]`);
    for (const r of s.readers) lines.push(`  ${id(s.name)}[${s.name}] -.->|${r.slot}| ${id(r.stage)}[${r.stage}]`);
  }
  return lines.join('\n');
}
