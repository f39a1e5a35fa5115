// Doctor held to the arithmetic on the full micro profile: `pipeline doctor --profile micro` estimates
// the micro run's wall time, then the run is made through the CLI on the same machine, and each
// round prints the estimate, the measured time and their ratio; rounds alternate the order (doctor
// first, then the run first), since a shared machine's load moves both. The test
// test/doctor/estimate-vs-run.test.ts holds a lighter micro (shorter trainings) within 2x in npm test;
// this bench is the same check at the profile's own settings, for as many rounds as asked.
//
//   node --import tsx bench/doctor-estimate.ts [--rounds N]
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
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
    const doctor = async () => {
      const d = await pipeline(['doctor', '--profile', 'micro', '--json']);
      if (d.exitCode !== 0) throw new Error(`doctor failed: ${String(d.stderr).slice(-500)}`);
      return (JSON.parse(String(d.stdout)) as { estimate: { wall: number; compute: number } }).estimate;
    };
    const run = async () => {
      const t0 = performance.now();
      const r = await pipeline(['run', '--profile', 'micro']);
      if (r.exitCode !== 0) throw new Error(`run failed: ${String(r.stderr).slice(-500)}`);
      return (performance.now() - t0) / 1000;
    };
    const doctorFirst = round % 2 === 1;
    const estimate = doctorFirst ? await doctor() : null;
    const measured = await run();
    const e = estimate ?? (await doctor());
    console.log(
      `round ${round} (${doctorFirst ? 'doctor, then run' : 'run, then doctor'}, load ${loadavg()[0].toFixed(1)}): doctor's estimate ${e.wall.toFixed(1)} s wall (${e.compute.toFixed(1)} s compute); the run ${measured.toFixed(1)} s; estimate/run ${(e.wall / measured).toFixed(2)}`,
    );
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
