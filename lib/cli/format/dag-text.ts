// The DAG as text: each stage in dependency order with its inputs (slot=stage where they differ),
// then the idle on-demand stages and why they are idle.
import type { Pipeline } from '../../dag/load.ts';
import { idleNote } from './idle-note.ts';

export function dagText(p: Pick<Pipeline, 'order' | 'stages' | 'idle'>): string[] {
  const lines: string[] = [];
  for (const name of p.order) {
    const s = p.stages.get(name)!;
    const ins = Object.entries(s.inputs).map(([slot, up]) => (slot === up ? up : `${slot}=${up}`));
    const note = !s.implemented ? '  (not implemented yet)' : '';
    lines.push(`${name}${ins.length ? ` <- ${ins.join(', ')}` : ''}${note}`);
  }
  for (const s of p.idle) lines.push(`${s.name}  (${idleNote(s)})`);
  return lines;
}
