// Doctor held to the arithmetic: `pipeline doctor --profile micro` estimates the micro run's wall
// time, then the run is made through the CLI on the same machine, rounds alternating, and each
// round prints the estimate, the measured time and their ratio (the aim: within 2x). A bench, not
// a test: on a shared machine the ratio moved between 0.45 and 1.02 in four rounds (issue 24).
//
//   node --import tsx bench/doctor-estimate.ts [--rounds N]
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const rounds = Number(values.rounds);
const env = { ...process.env, DCSP_BACKEND: process.env.DCSP_BACKEND ?? 'wasm' };

for (let round = 1; round <= rounds; round++) {
  const cache = join(ROOT, 'bench/.tmp', `doctor-micro-${process.pid}-${round}`);
  const pipeline = (args: string[]) => execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--cache', cache], { cwd: ROOT, env, reject: false });
  try {
    const d = await pipeline(['doctor', '--profile', 'micro', '--json']);
    if (d.exitCode !== 0) throw new Error(`doctor failed: ${String(d.stderr).slice(-500)}`);
    const { estimate } = JSON.parse(String(d.stdout)) as { estimate: { wall: number; compute: number } };
    const t0 = performance.now();
    const r = await pipeline(['run', '--profile', 'micro']);
    const measured = (performance.now() - t0) / 1000;
    if (r.exitCode !== 0) throw new Error(`run failed: ${String(r.stderr).slice(-500)}`);
    console.log(
      `round ${round}: doctor's estimate ${estimate.wall.toFixed(1)} s wall (${estimate.compute.toFixed(1)} s compute); the run ${measured.toFixed(1)} s; estimate/run ${(estimate.wall / measured).toFixed(2)}`,
    );
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
