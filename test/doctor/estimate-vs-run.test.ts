// Doctor held to the arithmetic: `pipeline doctor --profile micro --json` estimates the run's wall
// time on this machine, and the run is then made through the CLI with the same settings; the
// estimate must be within 2x of the run's measured wall time. On micro a stage's start and fixed
// costs are most of its time, so this holds only if doctor measures them (lib/doctor/estimate.ts).
// Both are timed on a machine that other work shares: what they measure moves with its load, so
// they are made back to back, and when the ratio falls outside the bound a second pair is made in
// the other order (run, then doctor) and the pair nearer 1 is held to it. Each pair prints both.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_BACKEND } from '../tensor/test-backend.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/pipeline.mjs');
const base = mkdtempSync(join(tmpdir(), 'dcsp-doctor-vs-run-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

// micro up to train, with shorter trainings (two checkpoints each still): the run is mostly its
// stages' starts and fixed costs, which is what the estimate most easily misses; doctor and the run
// get the same settings
const SETTINGS = [
  '--profile',
  'micro',
  '--until',
  'train',
  '--backend',
  TEST_BACKEND,
  ...['fcan-pretrain', 'train'].flatMap((s) => ['--set', `${s}.iterations=6`, '--set', `${s}.checkpointEvery=5`]),
];

let caches = 0;
async function pipeline(args: string[]): Promise<{ stdout: string; seconds: number }> {
  const cache = join(base, `cache-${caches++}`);
  const t0 = performance.now();
  const r = await execa(process.execPath, [BIN, ...args, ...SETTINGS, '--cache', cache], { cwd: ROOT, reject: false, env: { FORCE_COLOR: '0' } });
  const seconds = (performance.now() - t0) / 1000;
  expect(r.exitCode, `pipeline ${args[0]}: ${String(r.stderr).slice(-3000)}`).toBe(0);
  return { stdout: String(r.stdout), seconds };
}

interface Pair {
  order: string;
  estimate: number;
  measured: number;
  ratio: number;
}

async function pair(doctorFirst: boolean): Promise<Pair> {
  const doctor = async () => (JSON.parse((await pipeline(['doctor', '--json'])).stdout) as { estimate: { wall: number } }).estimate.wall;
  const run = async () => (await pipeline(['run'])).seconds;
  let estimate: number;
  let measured: number;
  if (doctorFirst) {
    estimate = await doctor();
    measured = await run();
  } else {
    measured = await run();
    estimate = await doctor();
  }
  const p = { order: doctorFirst ? 'doctor, then run' : 'run, then doctor', estimate, measured, ratio: estimate / measured };
  console.log(
    `doctor vs run (${p.order}, ${TEST_BACKEND}, load ${loadavg()[0].toFixed(1)}): estimate ${estimate.toFixed(1)} s, run ${measured.toFixed(1)} s, estimate/run ${p.ratio.toFixed(2)}`,
  );
  return p;
}

const within = (r: number) => r >= 0.5 && r <= 2;

describe('pipeline doctor against the run', () => {
  it("estimates the micro run's wall time within 2x of the run measured on the same machine", async () => {
    const pairs = [await pair(true)];
    if (!within(pairs[0].ratio)) pairs.push(await pair(false));
    const best = pairs.reduce((a, b) => (Math.abs(Math.log(b.ratio)) < Math.abs(Math.log(a.ratio)) ? b : a));
    expect(best.ratio, `estimate ${best.estimate.toFixed(1)} s against the run's ${best.measured.toFixed(1)} s (${best.order})`).toBeGreaterThanOrEqual(0.5);
    expect(best.ratio).toBeLessThanOrEqual(2);
  }, 1_200_000);
});
