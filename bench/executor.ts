// No-op `pipeline run` over a fully cached 12-stage DAG whose per-item artifacts hold 10,000 items
// each. Builds the cache once (bench/.tmp/executor-cache), then times the whole CLI process (node
// start-up included) and the executor alone. Goal: under 300 ms.
// Anchors measured elsewhere on this kind of machine: Turborepo 0.25-0.41 s for 1,000 cached tasks,
// Snakemake 7.2 s for 20,003 jobs; DVC publishes about 2.5 s for `dvc status` on 70k files.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadPipeline } from '../lib/dag/load.ts';
import { runPipeline } from '../lib/exec/executor.ts';
import { Store } from '../lib/store/store.ts';
import { silentProgress } from '../lib/types.ts';

const root = resolve(import.meta.dirname, '..');
const pipeline = join(root, 'bench/fixtures/executor/pipeline.yaml');
const cache = join(root, 'bench/.tmp/executor-cache');
const bin = join(root, 'bin/pipeline.mjs');
const quiet = (): void => undefined;

const p = await loadPipeline(pipeline, { cacheDir: cache });
const store = new Store(cache);
{
  // builds the cache on the first use, and after any change to the stages' code
  const t0 = performance.now();
  const built = await runPipeline(p, store, { workers: 1, log: quiet, progress: () => silentProgress });
  if (built.failed) throw new Error(built.failed.error);
  const ran = built.outcomes.filter((o) => o.status === 'run').length;
  if (ran) console.log(`built the cache: ${ran} stages x 10,000 items in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const inProcess: number[] = [];
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  const r = await runPipeline(await loadPipeline(pipeline, { cacheDir: cache }), store, { workers: 1, log: quiet });
  inProcess.push(performance.now() - t0);
  if (r.outcomes.some((o) => o.status !== 'cached')) throw new Error('expected a fully cached run');
}
const cli: number[] = [];
const nodeOnly: number[] = [];
for (let i = 0; i < 7; i++) {
  let t0 = performance.now();
  execFileSync(process.execPath, [bin, 'run', '--pipeline', pipeline, '--cache', cache], { stdio: 'ignore' });
  cli.push(performance.now() - t0);
  t0 = performance.now();
  execFileSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  nodeOnly.push(performance.now() - t0);
}
const m = median(cli);
console.log(`no-op run, 12 cached stages x 10,000 items:`);
console.log(`  whole CLI process:   ${m.toFixed(0)} ms median of 7 (goal < 300 ms: ${m < 300 ? 'met' : 'missed'})`);
console.log(`  executor in-process: ${median(inProcess).toFixed(0)} ms median of 7 (load + plan + checks)`);
console.log(`  bare node start-up:  ${median(nodeOnly).toFixed(0)} ms, so the CLI is ${(m / median(nodeOnly)).toFixed(1)}x an empty node process`);
