// The executor registry: --executor chosen from the list, other executors' options refused, and
// --help listing every executor with its options.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors.ts';
import { EXECUTOR_OPTIONS, EXECUTORS, executorHelp, executorNames, openExecutor } from '../../lib/cli/executors/registry.ts';
import { HELP } from '../../lib/cli/help.ts';
import { Store } from '../../lib/store/store.ts';

const store = new Store('/nonexistent-cache-never-written');
const open = (values: Record<string, unknown>) => openExecutor({ command: 'run', values, store, log: () => undefined });

describe('executor registry', () => {
  it('defaults to the first executor, local, which computes in this process', async () => {
    expect(EXECUTORS[0].name).toBe('local');
    expect(await open({})).toBeNull();
    expect(await open({ executor: 'local' })).toBeNull();
  });

  it('refuses an executor not in the list, naming the list', async () => {
    await expect(open({ executor: 'slurm' })).rejects.toThrow(InputError);
    await expect(open({ executor: 'slurm' })).rejects.toThrow("pipeline run: --executor must be local or bullmq, got 'slurm'");
    expect(executorNames()).toBe(EXECUTORS.map((e) => e.name).join(' or '));
  });

  it("refuses another executor's option, naming the executor it goes with", async () => {
    await expect(open({ redis: 'redis://127.0.0.1:1' })).rejects.toThrow('pipeline run: --redis goes with --executor bullmq');
    await expect(open({ executor: 'local', queue: 'q' })).rejects.toThrow('--queue goes with --executor bullmq');
  });

  it('bullmq asks for its Redis before connecting anywhere', async () => {
    const saved = process.env.DCSP_REDIS;
    delete process.env.DCSP_REDIS;
    try {
      await expect(open({ executor: 'bullmq' })).rejects.toThrow(/give --redis/);
    } finally {
      if (saved !== undefined) process.env.DCSP_REDIS = saved;
    }
  });

  it("parses every executor's options, and --help for run and sweep lists every executor", () => {
    for (const e of EXECUTORS) for (const o of Object.keys(e.options)) expect(Object.keys(EXECUTOR_OPTIONS)).toContain(o);
    const help = executorHelp();
    for (const e of EXECUTORS) expect(help).toMatch(new RegExp(`^ +${e.name} +${e.summary.replace(/[`()]/g, '.')}$`, 'm'));
    expect(HELP.run).toContain(help);
    expect(HELP.sweep).toContain(help);
    expect(help).toMatch(/--redis URL/);
  });
});
