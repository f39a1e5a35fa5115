// The whole DCSP DAG on the micro toy profile, through the CLI, then a small sweep over the same
// cache: every stage runs once, a second run is all cached, and sweep variants share the cache.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const cache = mkdtempSync(join(tmpdir(), 'dcsp-e2e-'));
const STAGES = ['dataset', 'saliency-s1', 'erase-s2', 'erase-s3', 'fcan-pretrain', 'attention', 'cues', 'train', 'adapt', 'retrain', 'eval'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--profile', 'micro', '--cache', cache], { cwd: ROOT, reject: false });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface Outcome {
  stage: string;
  status: 'cached' | 'run';
  metrics: Record<string, any>;
}

describe('end to end on the micro profile', () => {
  let outcomes: Outcome[];
  beforeAll(async () => {
    const r = await cli(['run', '--until', 'eval', '--json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    outcomes = (JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes;
  }, 600_000);

  it('runs every stage once, in dependency order, and each reports its metrics', () => {
    expect(outcomes.map((o) => o.stage)).toEqual(STAGES);
    expect(outcomes.every((o) => o.status === 'run')).toBe(true);
    const m = Object.fromEntries(outcomes.map((o) => [o.stage, o.metrics]));
    expect(m['erase-s3'].quality.objectRecall).toBeGreaterThanOrEqual(m['saliency-s1'].quality.objectRecall);
    expect(m['fcan-pretrain'].iterations).toBe(20);
    expect(typeof m.attention.valMap).toBe('number');
    expect(m.cues.quality.images).toBe(24);
    expect(m.eval.images).toBe(12);
    expect(m.eval.meanIoU).toBeGreaterThan(0);
    expect(m.eval.meanIoU).toBeLessThanOrEqual(1);
  });

  it('a second run is all cached and status agrees', async () => {
    const r = await cli(['run', '--until', 'eval', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes.every((o) => o.status === 'cached')).toBe(true);
    const st = await cli(['status', '--json']);
    const stages = (JSON.parse(st.stdout) as { stages: { stage: string; state: string }[] }).stages;
    expect(stages.filter((s) => s.state === 'cached').map((s) => s.stage)).toEqual(STAGES);
  });

  it('a sweep over eval.crf shares every stage but eval, and tabulates both variants', async () => {
    const r = await cli(['sweep', '--until', 'eval', '--grid', 'eval.crf=false,true', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const sweep = JSON.parse(r.stdout) as { variants: { labels: Record<string, string>; ok: boolean; stages: Record<string, string>; metrics: Record<string, any> }[]; stageRuns: number; stageHits: number; files: string[] };
    expect(sweep.variants.map((v) => v.labels['eval.crf'])).toEqual(['false', 'true']);
    expect(sweep.variants.every((v) => v.ok)).toBe(true);
    // crf=true is the profile's default and already cached; crf=false computes eval only
    expect(sweep.stageRuns).toBe(1);
    expect(sweep.variants[0].stages.eval).toBe('run');
    expect(sweep.stageHits).toBe(2 * STAGES.length - 1);
    const csv = readFileSync(sweep.files[1], 'utf8').trim().split('\n');
    expect(csv[0]).toBe('eval.crf,eval.meanIoU,stages_run,ok,error');
    expect(csv).toHaveLength(3);
  });
});
