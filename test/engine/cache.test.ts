import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeProject, resetCalls, type Project } from './project.ts';

interface RunJson {
  outcomes: { stage: string; status: 'cached' | 'run'; key: string; metrics: Record<string, unknown> }[];
  failed?: { stage: string; error: string };
}

async function runJson(p: Project, args: string[]): Promise<Record<string, 'cached' | 'run'>> {
  const r = await p.cli(['run', '--until', 'sum', '--json', '--workers', '2', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const parsed = JSON.parse(r.stdout) as RunJson;
  return Object.fromEntries(parsed.outcomes.map((o) => [o.stage, o.status]));
}

async function status(p: Project, args: string[] = []): Promise<Record<string, { state: string; reasons: string[] }>> {
  const r = await p.cli(['status', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const parsed = JSON.parse(r.stdout) as { stages: { stage: string; state: string; reasons: string[] }[] };
  return Object.fromEntries(parsed.stages.map((s) => [s.stage, s]));
}

describe('content-hashed cache', () => {
  let p: Project;
  beforeAll(async () => {
    p = makeProject('cache');
    expect(await runJson(p, [])).toEqual({ source: 'run', double: 'run', constant: 'run', sum: 'run' });
    expect(p.calls('double')).toHaveLength(20);
  });

  it('a second run is all cached', async () => {
    resetCalls(p);
    expect(await runJson(p, [])).toEqual({ source: 'cached', double: 'cached', constant: 'cached', sum: 'cached' });
    expect(p.calls()).toHaveLength(0);
    const st = await status(p);
    expect(st.sum).toEqual(expect.objectContaining({ state: 'cached', reasons: [] }));
    expect(st.todo.reasons).toEqual(['never run']);
  });

  it('status says which param changed, and a param change re-runs only that stage and its descendants', async () => {
    const st = await status(p, ['--set', 'double.factor=3']);
    expect(st.source.state).toBe('cached');
    expect(st.constant.state).toBe('cached');
    expect(st.double.reasons).toEqual(['param double.factor changed 2 -> 3']);
    expect(st.sum.reasons).toEqual(['input doubled is stale (double will run)']);
    resetCalls(p);
    expect(await runJson(p, ['--set', 'double.factor=3'])).toEqual({ source: 'cached', double: 'run', constant: 'cached', sum: 'run' });
    expect(p.calls('double')).toHaveLength(20);
    expect(p.calls('sum')).toHaveLength(1);
    // the same variant again: all cached; its status diffs against its own last run
    expect(await runJson(p, ['--set', 'double.factor=3'])).toEqual({ source: 'cached', double: 'cached', constant: 'cached', sum: 'cached' });
    // a variant never run before is compared with the profile's last run
    const other = await status(p, ['--set', 'double.factor=2.5']);
    expect(other.double.reasons).toEqual(['param double.factor changed 2 -> 2.5']);
  });

  it('early cutoff: an upstream re-run that writes identical bytes leaves downstream cached', async () => {
    const st = await status(p, ['--set', 'constant.label=b']);
    expect(st.constant.reasons).toEqual(['param constant.label changed a -> b']);
    resetCalls(p);
    expect(await runJson(p, ['--set', 'constant.label=b'])).toEqual({ source: 'cached', double: 'cached', constant: 'run', sum: 'cached' });
    expect(p.calls('sum')).toHaveLength(0);
  });

  it('a code change re-runs the stage (and, with identical output, nothing after it)', async () => {
    const file = join(p.dir, 'stages/double.ts');
    appendFileSync(file, '\n// a comment changes the code hash but not the output\n');
    const st = await status(p);
    expect(st.double.reasons).toEqual(['code changed']);
    expect(st.source.state).toBe('cached');
    resetCalls(p);
    expect(await runJson(p, [])).toEqual({ source: 'cached', double: 'run', constant: 'cached', sum: 'cached' });
    expect(p.calls('double')).toHaveLength(20);
    // a change in a lib/ file the stage imports counts too
    expect(readFileSync(file, 'utf8')).toContain("from '../calls.ts'");
    appendFileSync(join(p.dir, 'calls.ts'), '\n// touched\n');
    expect((await status(p)).double.reasons).toEqual(['code changed']);
  });

  it('item-level reuse: 10 new items compute 10 items, the rest come from the earlier artifact', async () => {
    await runJson(p, []); // settle the code change above
    resetCalls(p);
    const r = await p.cli(['run', '--until', 'sum', '--profile', 'big', '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.calls('double')).toHaveLength(10);
    expect(new Set(p.calls('double').map((l) => l.split(' ')[1]))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => `item-00${20 + i}`)));
    // source's count param is part of its item keys, so it recomputes; double's items depend only
    // on their own input items
    expect(r.stderr).toMatch(/double: 10 of 30 items to compute \(0 resumed, 20 reused from earlier artifacts\)/);
  });

  it('--force re-runs a cached stage and recomputes every item', async () => {
    resetCalls(p);
    expect(await runJson(p, ['--force', 'double'])).toEqual({ source: 'cached', double: 'run', constant: 'cached', sum: 'cached' });
    expect(p.calls('double')).toHaveLength(20);
  });
});
