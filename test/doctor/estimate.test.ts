// The compute estimate: training stages scale with their iterations and with the crop the step is
// measured at; a real measurement on this machine grows with the crop; `pipeline doctor` reports it.
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolvePipeline } from '../../lib/dag/resolve.ts';
import { estimateRun, type Measurer } from '../../lib/doctor/estimate.ts';
import { machineMeasurer } from '../../lib/doctor/measure.ts';
import { preflight, REFUSE_ABOVE } from '../../lib/doctor/preflight.ts';
import { InputError } from '../../lib/errors.ts';
import { initBackend } from '../../lib/tensor/backend.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PIPELINE = join(ROOT, 'pipeline.yaml');

/** a machine whose step time is proportional to the crop's area, and whose other costs are fixed */
const areaMachine = (calls: number[] = []): Measurer => ({
  trainStep: async (_n, _k, crop, batch) => {
    calls.push(crop);
    return 1e-5 * crop * crop * batch;
  },
  forward: async () => 0.01,
  saliencyStep: async (_v, _s, _w, batch) => 0.02 * batch,
  detect: async () => 0.03,
  crf: async () => 0.05,
});

async function estimate(set: string[], m: Measurer, profile = 'micro') {
  const r = await resolvePipeline(PIPELINE, { profile, set });
  const e = await estimateRun(r.stages, m, 2);
  return { total: e.seconds, of: (stage: string) => e.stages.find((s) => s.stage === stage)!.seconds!, e };
}

describe('estimateRun', () => {
  it("grows linearly with a training stage's iterations (and the oracle, which follows train + retrain)", async () => {
    const a = await estimate([], areaMachine());
    const b = await estimate(['train.iterations=40'], areaMachine());
    expect(b.of('train')).toBeCloseTo(2 * a.of('train'), 10);
    expect(b.of('retrain')).toBeCloseTo(a.of('retrain'), 10);
    expect(b.of('train-oracle')).toBeCloseTo((a.of('train-oracle') * 60) / 40, 10);
    expect(b.total - a.total).toBeCloseTo(a.of('train') + a.of('train-oracle') / 2, 10);
  });

  it("measures the step at the stage's own crop", async () => {
    const calls: number[] = [];
    const a = await estimate([], areaMachine());
    const b = await estimate(['train.crop=128'], areaMachine(calls));
    expect(calls).toContain(128);
    expect(b.of('train')).toBeCloseTo(4 * a.of('train'), 10);
    expect(b.of('fcan-pretrain')).toBeCloseTo(a.of('fcan-pretrain'), 10);
  });

  it("counts the voc profile's images and iterations: 30K + 10K + 10K + 20K steps of batch 10", async () => {
    const { e, of } = await estimate([], areaMachine(), 'voc');
    expect(e.images).toMatchObject({ train: 10582, val: 1449, width: 500, height: 375 });
    const step = 1e-5 * 321 * 321;
    expect(of('fcan-pretrain')).toBeCloseTo(30000 * 10 * step, 6);
    expect(of('train-oracle')).toBeCloseTo(20000 * 10 * step, 6);
    expect(of('saliency-train')).toBeCloseTo(20000 * 8 * 0.02, 6);
    expect(of('saliency-s1')).toBeCloseTo(10582 * 0.03, 6);
  });
});

describe('preflight', () => {
  const check = async (set: string[], yes = false): Promise<string[]> => {
    const r = await resolvePipeline(PIPELINE, { profile: 'micro', set });
    return preflight('micro', r.stages, () => true, { measure: areaMachine(), yes });
  };
  // a micro training step here: 1e-5 x 64^2 x batch 4 = 0.16 s
  it('prints the estimate of a long run, and refuses one beyond 30 days unless told yes', async () => {
    expect(REFUSE_ABOVE).toBe(30 * 86400);
    expect(await check([])).toEqual([]);
    // 1e6 iterations of train, and as many of the oracle (it follows train + retrain): 3.8 days
    const long = await check(['train.iterations=1e6']);
    expect(long[0]).toMatch(/^preflight: the training stages of this run \(.*train.*\) need about 3d19h of compute/);
    const refused = check(['train.iterations=1e12']);
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(
      /^preflight: .* need about [\d,]{9,} days of compute on \S+, measured here, more than the 30 days a run may take unasked; check their iterations, or pass --yes to run it anyway$/,
    );
    expect((await check(['train.iterations=1e12'], true))[0]).toMatch(/need about \d+d\d\dh of compute/);
  });
});

describe('estimateRun where the full-size network does not fit', () => {
  it('measures at half the side and scales by area, saying so; what cannot be measured at all is named', async () => {
    const small = areaMachine();
    const tooBig: Measurer = {
      ...small,
      trainStep: async (n, k, crop, batch) => {
        if (crop > 200) throw new Error('Aborted(). Build with -sASSERTIONS');
        return small.trainStep(n, k, crop, batch);
      },
      forward: async () => {
        throw new Error('memory access out of bounds');
      },
    };
    const { e, of } = await estimate([], tooBig, 'voc');
    expect(of('fcan-pretrain')).toBeCloseTo(30000 * 10 * 1e-5 * 161 * 161 * (321 / 161) ** 2, 6);
    expect(e.stages.find((s) => s.stage === 'fcan-pretrain')!.how).toMatch(
      /full size failed here \(Aborted\(\)\), so measured at half the side and scaled by area x3\.98/,
    );
    expect(e.unmeasured).toEqual(['attention', 'adapt', 'eval', 'eval-direct', 'eval-oracle']);
    expect(e.stages.find((s) => s.stage === 'eval')!.seconds).toBeNull();
  });
});

describe('machineMeasurer', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
  });

  it('a training step measured here costs more at a larger crop', async () => {
    const m = machineMeasurer({ steps: 3 });
    const net = { model: 'deeplab-lite', widthDivisor: 1 };
    const small = await m.trainStep(net, 'seg', 48, 2);
    const large = await m.trainStep(net, 'seg', 144, 2);
    // 9x the pixels; the fixed cost per step keeps the ratio well below 9 (2.5 measured here)
    expect(large / small).toBeGreaterThan(1.5);
  }, 120_000);
});

describe('pipeline doctor', () => {
  it('prints the backend, the files and an estimate made from measured times', async () => {
    const r = await execa(
      process.execPath,
      [join(ROOT, 'bin/pipeline.mjs'), 'doctor', '--profile', 'micro', '--json', '--cache', join(ROOT, 'test/.tmp', `doctor-${process.pid}`)],
      { cwd: ROOT, reject: false },
    );
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const report = JSON.parse(String(r.stdout)) as {
      backend: { name: string };
      estimate: { seconds: number; stages: { stage: string; seconds: number | null }[] };
    };
    expect(['wasm', 'tfjs-node', 'tfjs-node-gpu', 'cpu']).toContain(report.backend.name);
    expect(report.estimate.seconds).toBeGreaterThan(0);
    expect(report.estimate.stages.find((s) => s.stage === 'train')!.seconds).toBeGreaterThan(0);
  }, 120_000);
});
