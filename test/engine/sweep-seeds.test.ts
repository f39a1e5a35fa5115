// `sweep --seeds N`: every variant with N seeds (the seed param of each stage that has one, shifted
// by 0..N-1), summarised as mean +- sd with N; and the Table 2 layout with seeds on a 2x2 grid.
import { describe, expect, it } from 'vitest';
import { parseGrid } from '../../lib/dag/overrides.ts';
import type { SweepSpec } from '../../lib/dag/sweep-spec.ts';
import { tabulate, type VariantResult } from '../../lib/exec/sweep.ts';
import { summarizeSeeds } from '../../lib/exec/sweep-seeds.ts';
import { makeProject } from './project.ts';

interface Variant {
  labels: Record<string, string>;
  ok: boolean;
  stages: Record<string, string>;
  metrics: Record<string, Record<string, number>>;
}

describe('sweep --seeds', () => {
  it('runs each variant with N seeds, seed 0 as configured; mean +- sd (N) per variant', async () => {
    const p = makeProject('seeds');
    const r = await p.cli(['sweep', '--until', 'sum', '--grid', 'double.factor=2,3', '--seeds', '3', '--metric', 'source.total', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { variants: Variant[]; table: string };
    expect(out.variants.map((v) => `${v.labels['double.factor']}/${v.labels.seed}`)).toEqual(['2/0', '2/1', '2/2', '3/0', '3/1', '3/2']);
    const totals = out.variants.map((v) => v.metrics.source.total);
    // the seed reaches source (its only seeded stage): three different sources, shared by both factors
    expect(new Set(totals.slice(0, 3)).size).toBe(3);
    expect(totals.slice(3)).toEqual(totals.slice(0, 3));
    expect(out.variants.slice(3).every((v) => v.stages.source === 'cached')).toBe(true);
    // seed 0 is the variant as configured: a plain run finds it cached
    const plain = await p.cli(['run', '--until', 'sum', '--set', 'double.factor=3', '--json']);
    expect((JSON.parse(plain.stdout) as { outcomes: { status: string }[] }).outcomes.every((o) => o.status === 'cached')).toBe(true);
    const s = summarizeSeeds(totals.slice(0, 3))!;
    expect(out.table).toContain(`| 2 | ${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)} (N=3) |`);
    expect(p.calls('double')).toHaveLength(6 * 20);
    const bad = await p.cli(['sweep', '--grid', 'double.factor=2,3', '--seeds', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--seeds must be at least 1/);
  }, 180_000);

  it('with no grid, the seeds are the variants: the configured pipeline over N seeds', async () => {
    const p = makeProject('seeds-only');
    const r = await p.cli(['sweep', '--until', 'sum', '--seeds', '2', '--metric', 'source.total', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { variants: Variant[]; table: string };
    expect(out.variants.map((v) => v.labels.seed)).toEqual(['0', '1']);
    const totals = out.variants.map((v) => v.metrics.source.total);
    expect(totals[0]).not.toBe(totals[1]);
    const s = summarizeSeeds(totals)!;
    expect(out.table).toContain(`| ${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)} (N=2) |`);
    // one seed and no grid would be a plain run: refused, naming what is missing
    const bad = await p.cli(['sweep', '--seeds', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/give at least one --grid .*, a --file, or --seeds N \(N >= 2\)/);
  }, 180_000);

  it('the Table 2 layout of a 2x2 grid (saliency x adapt) shows mean +- sd and N per cell', () => {
    const spec: SweepSpec = {
      set: [],
      axes: [
        { name: 'cues.saliency', values: parseGrid('cues.saliency=s1,s3') },
        { name: 'eval.checkpoint', values: parseGrid('eval.checkpoint=train,retrain') },
      ],
    };
    const miou: Record<string, number[]> = {
      's1/train': [0.4, 0.42, 0.44],
      's1/retrain': [0.45, 0.47, 0.49],
      's3/train': [0.5, 0.5, 0.5],
      's3/retrain': [0.6, 0.61, 0.62],
    };
    const results: VariantResult[] = Object.entries(miou).flatMap(([k, vs]) =>
      vs.map((v, seed) => {
        const [s, a] = k.split('/');
        return {
          labels: { 'cues.saliency': s, 'eval.checkpoint': a, seed: String(seed) },
          ok: !(k === 's3/retrain' && seed === 2),
          stages: {},
          metrics: { eval: { meanIoU: v } },
          seconds: 1,
        };
      }),
    );
    const table = tabulate(spec, results, 'eval.meanIoU', true);
    expect(table).toContain('| saliency mask | no adapt | adapt |');
    expect(table).toContain('| S1 | 42.0 ± 2.0 (N=3) | 47.0 ± 2.0 (N=3) |');
    // a failed seed is left out of its cell, and the cell says so
    expect(table).toContain('| S3 | 50.0 ± 0.0 (N=3) | 60.5 ± 0.7 (N=2 of 3) |');
  });
});
