// A stage that shows its inputs' lineage (the report: every upstream key and params, the training
// curves) is keyed on that lineage. Here `overview` reads only `constant`, whose bytes do not depend on
// source's seed, yet writes what it finds upstream: two seeds must give it two keys, each holding its
// own seed's lineage, and a run of one seed must find its own, never the other's.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, type Project } from './project.ts';

interface Overview {
  artifacts: string[];
  sourceTotal: number;
}

function withOverview(p: Project): void {
  const yaml = readFileSync(p.pipeline, 'utf8');
  writeFileSync(p.pipeline, yaml.replace('\nprofiles:', '\n  overview:\n    inputs: { values: constant }\nprofiles:'));
}

const refs = (p: Project, stage: string): Record<string, string> =>
  Object.fromEntries(readdirSync(join(p.cache, 'refs')).map((v) => [v, readFileSync(join(p.cache, 'refs', v, stage), 'utf8').trim()]));
const contentOf = (p: Project, stage: string, key: string): string =>
  (JSON.parse(readFileSync(join(p.cache, stage, key, 'manifest.json'), 'utf8')) as { contentHash: string }).contentHash;
const overviewAt = (p: Project, key: string): Overview => JSON.parse(readFileSync(join(p.cache, 'overview', key, 'overview.json'), 'utf8')) as Overview;

describe("a stage keyed on its inputs' lineage", () => {
  it('two seeds: the same declared input, two keys, each with its own lineage; a run finds its own', async () => {
    const p = makeProject('lineage');
    withOverview(p);
    const sweep = await p.cli(['sweep', '--until', 'overview', '--seeds', '2', '--metric', 'source.total', '--json']);
    expect(sweep.code, sweep.stderr).toBe(0);
    const variants = Object.keys(refs(p, 'overview')).sort();
    expect(variants).toHaveLength(2);
    const [seed0, seed1] = variants; // 'base' and 'base@<digest of source.seed=2>'
    expect(seed0).toBe('base');
    const source = refs(p, 'source');
    const constant = refs(p, 'constant');
    const overview = refs(p, 'overview');
    // what overview declares is the same bytes for both seeds: content hashes alone would give one key
    expect(source[seed0]).not.toBe(source[seed1]);
    expect(contentOf(p, 'constant', constant[seed0])).toBe(contentOf(p, 'constant', constant[seed1]));
    expect(overview[seed0]).not.toBe(overview[seed1]);
    for (const [mine, other] of [
      [seed0, seed1],
      [seed1, seed0],
    ]) {
      const o = overviewAt(p, overview[mine]);
      expect(o.artifacts).toContain(`source@${source[mine]}`);
      expect(o.artifacts).not.toContain(`source@${source[other]}`);
    }
    expect(overviewAt(p, overview[seed0]).sourceTotal).not.toBe(overviewAt(p, overview[seed1]).sourceTotal);

    // the configured pipeline (seed 0) run again: everything cached, and its own overview
    const run = await p.cli(['run', '--until', 'overview', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const outcomes = (JSON.parse(run.stdout) as { outcomes: { stage: string; key: string; status: string }[] }).outcomes;
    expect(outcomes.every((o) => o.status === 'cached')).toBe(true);
    expect(outcomes.find((o) => o.stage === 'overview')!.key).toBe(overview[seed0]);
  }, 120_000);

  it('an upstream stage re-keyed with the same bytes re-keys it, and status says why', async () => {
    const p = makeProject('lineage-cutoff');
    withOverview(p);
    expect((await p.cli(['run', '--until', 'overview'])).code).toBe(0);
    // constant's label is in its key but not in its bytes (early cutoff)
    expect((await p.cli(['run', '--until', 'constant', '--set', 'constant.label=b'])).code).toBe(0);
    const st = await p.cli(['status', '--set', 'constant.label=b', '--json']);
    const plans = (JSON.parse(st.stdout) as { stages: { stage: string; state: string; reasons: string[] }[] }).stages;
    expect(plans.find((s) => s.stage === 'constant')!.state).toBe('cached');
    expect(plans.find((s) => s.stage === 'overview')).toMatchObject({
      state: 'stale',
      reasons: ['an artifact upstream of its inputs changed (it shows their lineage)'],
    });
    const run = await p.cli(['run', '--until', 'overview', '--set', 'constant.label=b', '--json']);
    const status = Object.fromEntries((JSON.parse(run.stdout) as { outcomes: { stage: string; status: string }[] }).outcomes.map((o) => [o.stage, o.status]));
    expect(status).toEqual({ source: 'cached', constant: 'cached', overview: 'run' });
  }, 120_000);
});
