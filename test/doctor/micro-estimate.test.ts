// The estimate held to the arithmetic: on the micro profile, doctor's estimate of the whole run's
// wall time is within 2x of the run's measured wall time, both made through the CLI on this
// machine one after the other (the same backend, cores and load, as near as a shared machine gets).
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CACHE = join(ROOT, 'test/.tmp', `doctor-micro-${process.pid}`);
const env = { ...process.env, DCSP_BACKEND: 'wasm' };

afterAll(() => rmSync(CACHE, { recursive: true, force: true }));

const pipeline = (args: string[]) => execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--cache', CACHE], { cwd: ROOT, env, reject: false });

it("doctor's estimate of the micro run is within 2x of the run's wall time, measured here", async () => {
  const d = await pipeline(['doctor', '--profile', 'micro', '--json']);
  expect(d.exitCode, String(d.stderr)).toBe(0);
  // it says up front what it will time and about how long
  expect(String(d.stderr)).toMatch(/^doctor: timing \d+ things on wasm, one after another, in about \S+ /m);
  const report = JSON.parse(String(d.stdout)) as {
    backend: { name: string };
    estimate: { wall: number; compute: number; critical: string[]; unmeasured: string[]; stages: { stage: string; seconds: number | null }[] };
  };
  expect(report.backend.name).toBe('wasm');
  expect(report.estimate.unmeasured).toEqual([]);
  expect(report.estimate.critical[0]).toBe('dataset');

  const t0 = performance.now();
  const r = await pipeline(['run', '--profile', 'micro']);
  const measured = (performance.now() - t0) / 1000;
  expect(r.exitCode, String(r.stderr).slice(-2000)).toBe(0);

  const { wall, compute } = report.estimate;
  process.stdout.write(`micro: doctor's estimate ${wall.toFixed(1)} s wall (${compute.toFixed(1)} s compute), the run ${measured.toFixed(1)} s\n`);
  expect(wall).toBeGreaterThan(measured / 2);
  expect(wall).toBeLessThan(measured * 2);
}, 600_000);
