// Why an on-demand stage is not part of this run (dag and status say it the same way).
import type { IdleStage } from '../../dag/load.ts';

export function idleNote(s: IdleStage): string {
  const readers = s.readers.map((r) => `${r.stage}.${r.slot}`).join(', ');
  return `on demand, not in this run: ${readers ? `${readers} does not read it with these params` : 'no stage reads it'}`;
}
