// On-demand stages and optional inputs chosen by params: a stage marked `on_demand` runs only when
// a stage of the run reads it (saliency-train, read by saliency-s1 only for detector: dhsnet);
// an unread optional input is no part of the reader's key; status, dag and gc know the idle stage.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeProject, resetCalls, type Project } from './project.ts';

const YAML = `version: 1
default_profile: base
stages:
  source:
    params: { count: 3 }
  trainer:
    on_demand: true
  reader:
    inputs: { values: source, weights: trainer }
profiles:
  base: {}
`;

interface RunJson {
  outcomes: { stage: string; status: string; key: string; metrics: Record<string, unknown> }[];
}

describe('on-demand stages', () => {
  let p: Project;
  const run = async (args: string[] = []): Promise<Record<string, string>> => {
    const r = await p.cli(['run', '--json', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return Object.fromEntries((JSON.parse(r.stdout) as RunJson).outcomes.map((o) => [o.stage, o.status]));
  };
  beforeAll(() => {
    p = makeProject('on-demand');
    writeFileSync(p.pipeline, YAML);
  });

  it('a run whose stages do not read it leaves it out', async () => {
    expect(await run()).toEqual({ source: 'run', reader: 'run' });
    expect(p.calls('trainer')).toEqual([]);
  });

  it('status and dag list it as idle, naming the slot that would read it', async () => {
    const st = await p.cli(['status']);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/reader +cached/);
    expect(st.stdout).toMatch(/trainer +idle .*reader\.weights does not read it/);
    const json = JSON.parse((await p.cli(['status', '--json'])).stdout) as { stages: { stage: string }[]; idle: { name: string }[] };
    expect(json.stages.map((s) => s.stage)).toEqual(['source', 'reader']);
    expect(json.idle.map((s) => s.name)).toEqual(['trainer']);
    const dag = await p.cli(['dag']);
    expect(dag.stdout).toContain('reader <- values=source\n');
    expect(dag.stdout).toMatch(/trainer +\(on demand, not in this run/);
    const mermaid = await p.cli(['dag', '--format', 'mermaid']);
    expect(mermaid.stdout).toContain('trainer[trainer] -.->|weights| reader[reader]');
  });

  it('changing it while unread re-runs nothing', async () => {
    resetCalls(p);
    expect(await run(['--set', 'trainer.value=5'])).toEqual({ source: 'cached', reader: 'cached' });
    expect(p.calls()).toEqual([]);
  });

  it('params that read it pull it into the run, and its content keys the reader', async () => {
    resetCalls(p);
    expect(await run(['--set', 'reader.useWeights=true'])).toEqual({ source: 'cached', trainer: 'run', reader: 'run' });
    expect(await run(['--set', 'reader.useWeights=true'])).toEqual({ source: 'cached', trainer: 'cached', reader: 'cached' });
    expect(await run(['--set', 'reader.useWeights=true', '--set', 'trainer.value=3'])).toEqual({ source: 'cached', trainer: 'run', reader: 'run' });
    expect(p.calls('trainer')).toHaveLength(2);
    expect(p.calls('reader')).toHaveLength(2);
  });

  it('--until names it: it runs although nothing reads it', async () => {
    resetCalls(p);
    const r = await p.cli(['run', '--json', '--until', 'trainer', '--set', 'trainer.value=9']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RunJson).outcomes.map((o) => [o.stage, o.status])).toEqual([['trainer', 'run']]);
  });

  it('gc keeps its artifacts while the pipeline declares it', async () => {
    const r = await p.cli(['gc', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/trainer.*is not in the pipeline/);
    const manifests = readFileSync(join(p.cache, 'runs', 'runs.jsonl'), 'utf8');
    expect(manifests).toContain('"stage":"trainer"');
  });
});
