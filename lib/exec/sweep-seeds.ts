// `sweep --seeds N`: every variant run with N seeds, so a difference between variants can be told
// from seed noise. Seed k (0-based) adds k to the `seed` param of each stage that has one; seed 0 is
// the variant as configured (it shares the cache with a plain run). A stage whose seed follows
// another stage's (train-oracle follows train) moves with its leader, and stages without a seed are
// shared by all N. Results are summarised per variant as mean +- sample sd over the seeds, with N.
import type { Pipeline } from '../dag/load.ts';
import { parseOverride } from '../dag/overrides.ts';
import type { SweepVariant } from '../dag/sweep-spec.ts';

export const SEED_LABEL = 'seed';

/** The N seed variants of each variant, seed by seed. `load` resolves a variant's pipeline. */
export async function withSeeds(variants: SweepVariant[], n: number, load: (v: SweepVariant) => Promise<Pipeline>): Promise<SweepVariant[]> {
  const out: SweepVariant[] = [];
  for (const v of variants) {
    const base = await load(v);
    const seeded = base.order.filter((s) => typeof base.stages.get(s)!.params.seed === 'number');
    for (let k = 0; k < n; k++) {
      let current: SweepVariant = { labels: { ...v.labels, [SEED_LABEL]: String(k) }, overrides: [...v.overrides] };
      if (k > 0) {
        // in pipeline order, so a leader is shifted before its followers are looked at
        let p = base;
        for (const s of seeded) {
          const own = base.stages.get(s)!.params.seed as number;
          if (p.stages.get(s)!.params.seed !== own) continue;
          current = { ...current, overrides: [...current.overrides, parseOverride(`${s}.seed=${own + k}`)] };
          p = await load(current);
        }
      }
      out.push(current);
    }
  }
  return out;
}

export interface SeedSummary {
  mean: number;
  sd: number;
  n: number;
}

/** Mean and sample standard deviation (0 for one value) of the values that exist. */
export function summarizeSeeds(values: (number | null)[]): SeedSummary | null {
  const xs = values.filter((v): v is number => v !== null);
  if (!xs.length) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd, n: xs.length };
}

/** The variant a seed variant belongs to: its labels without the seed. */
export function groupKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).filter(([k]) => k !== SEED_LABEL));
}
