// The report stage's params and entry; the work is in body/report.ts (loaded when the stage runs).
import { z } from 'zod';
import type { StageContext } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';

export const params = z.strictObject({
  /** images per figure (train cue panels and val predictions), chosen deterministically */
  samples: z.number().int().min(0).default(8),
  /** longest side of an inlined picture; larger images are scaled down */
  maxSide: z.number().int().min(16).default(256),
});
export type ReportParams = z.output<typeof params>;

export async function run(ctx: StageContext<ReportParams>): Promise<Record<string, Json>> {
  return (await import('./body/report.ts')).runReport(ctx);
}
