// The compute estimate: training stages scale with their iterations and with the crop the step is
// measured at; every scale a per-image stage runs is counted; JPEG decoding and augmentation are
// in; per-image stages are spread over the slots that will run them; the preflight refuses a typo.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePipeline } from '../../lib/dag/resolve.ts';
import { estimateRun, type Measurer, type Timed } from '../../lib/doctor/estimate.ts';
import { preflight, REFUSE_ABOVE } from '../../lib/doctor/preflight.ts';
import type { Slots } from '../../lib/doctor/schedule.ts';
import { InputError } from '../../lib/errors.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PIPELINE = join(ROOT, 'pipeline.yaml');

const timed = (seconds: number, macs = 0): Timed => ({ seconds, macs, note: '' });

/** a machine whose costs are proportional to the pixels (and the batch), and whose other costs are fixed */
const areaMachine = (calls: number[] = [], decode = 0.004): Measurer => ({
  trainStep: async (_n, _k, crop, batch) => {
    calls.push(crop);
    return timed(1e-5 * crop * crop * batch, 1e4 * crop * crop * batch);
  },
  forward: async (_n, sizes) => sizes.map(([w, h]) => timed(1e-6 * w * h, 1e3 * w * h)),
  saliencyStep: async (_v, _s, _w, batch) => timed(0.02 * batch),
  detect: async () => timed(0.03),
  crf: async () => 0.05,
  decode: async () => decode,
  augment: async () => 0.001,
  startup: async () => ({ process: 0, thread: 0 }),
  checkpoint: async () => ({ save: 0, load: 0 }),
  toyImage: async () => 0,
});

const CPU2: Slots = { cores: 2, gpus: 0, jobs: 2 };

// the trainings' val probes left out, so that a training is its steps (and its other fixed costs, which cost 0 here)
async function estimate(set: string[], m: Measurer, profile = 'micro', slots = CPU2, probes = false) {
  const r = await resolvePipeline(PIPELINE, { profile, set });
  const e = await estimateRun(r.stages, m, { slots, trainingThreads: 1, probes });
  const stage = (name: string) => e.stages.find((s) => s.stage === name)!;
  return { of: (name: string) => stage(name).seconds!, stage, e };
}

describe('estimateRun', () => {
  it("grows linearly with a training stage's iterations (and the oracle, which follows train + retrain)", async () => {
    // no decoding: its first epoch makes it grow less than linearly
    const a = await estimate([], areaMachine([], 0));
    const b = await estimate(['train.iterations=40'], areaMachine([], 0));
    expect(b.of('train')).toBeCloseTo(2 * a.of('train'), 10);
    expect(b.of('retrain')).toBeCloseTo(a.of('retrain'), 10);
    expect(b.of('train-oracle')).toBeCloseTo((a.of('train-oracle') * 60) / 40, 10);
    expect(b.e.compute - a.e.compute).toBeCloseTo(a.of('train') + a.of('train-oracle') / 2, 10);
  });

  it("measures the step at the stage's own crop and batch", async () => {
    const calls: number[] = [];
    const a = await estimate([], areaMachine());
    const b = await estimate(['train.crop=128'], areaMachine(calls));
    expect(calls).toContain(128);
    // the step grows 4x; augmenting and decoding (each of the 24 images once: all cached) do not
    const prep = 4 * 0.001 + (24 * 0.004) / 20;
    expect(b.of('train') / 20 - prep).toBeCloseTo(4 * (a.of('train') / 20 - prep), 10);
    expect(b.of('fcan-pretrain')).toBeCloseTo(a.of('fcan-pretrain'), 10);
  });

  it("counts the voc profile's images, iterations, every scale and the JPEG decoding", async () => {
    const { e, of, stage } = await estimate([], areaMachine(), 'voc');
    expect(e.images).toMatchObject({ train: 10582, val: 1449, width: 500, height: 375 });
    const step = 1e-5 * 321 * 321 * 10;
    // 300K samples of 10,582 images, 1.5 GiB of them (2,863 of 500x375) cached after the first epoch
    const decodes = 10582 + (300000 - 10582) * (1 - 2863 / 10582);
    expect(of('fcan-pretrain')).toBeCloseTo(30000 * (step + 10 * 0.001) + decodes * 0.004, 4);
    expect(stage('fcan-pretrain').macs).toBeCloseTo(30000 * 1e4 * 321 * 321 * 10, -3);
    expect(of('saliency-train')).toBeCloseTo(20000 * 8 * (0.02 + 0.004), 6);
    expect(of('saliency-s1')).toBeCloseTo(10582 * (0.004 + 0.03), 6);
    // adapt runs the three scales too (the old estimate counted one): 500x375, 375x281, 250x187
    const forward = 1e-6 * (500 * 375 + 375 * 281 + 250 * 187);
    expect(of('adapt')).toBeCloseTo(10582 * (0.004 + forward), 6);
    expect(of('attention')).toBeCloseTo(of('adapt'), 6);
    expect(stage('attention').serial).toBeCloseTo(1449 * (0.004 + 1e-6 * 500 * 375), 6);
    expect(of('eval')).toBeCloseTo(1449 * (0.004 + forward + 0.05), 6);
    expect(of('eval-direct')).toBeCloseTo(1449 * (0.004 + 1e-6 * 500 * 375 + forward + 3 * 0.03), 6);
  });

  it('spreads per-image stages over the slots: the wall time falls with more cores, the compute does not', async () => {
    const two = await estimate([], areaMachine(), 'voc');
    const eight = await estimate([], areaMachine(), 'voc', { cores: 8, gpus: 0, jobs: 8 });
    expect(eight.e.compute).toBeCloseTo(two.e.compute, 6);
    expect(eight.e.wall).toBeLessThan(two.e.wall);
    // the trainings do not spread: they bound the wall time from below on any number of cores
    const trainings = ['fcan-pretrain', 'train', 'retrain'].reduce((a, s) => a + eight.of(s), 0);
    expect(eight.e.wall).toBeGreaterThan(trainings);
    expect(two.e.wall).toBeLessThan(two.e.compute);
    expect(two.e.critical).toEqual(expect.arrayContaining(['fcan-pretrain', 'train', 'retrain']));
  });

  it("counts each stage's fixed costs: its start, the run's own, checkpoints, init and network loads, val probes, the toy images", async () => {
    const fixed: Measurer = {
      ...areaMachine(),
      startup: async () => ({ process: 2, thread: 0.5, run: 3 }),
      checkpoint: async () => ({ save: 0.1, load: 0.2 }),
      toyImage: async () => 0.01,
    };
    const bare = await estimate([], areaMachine());
    const off = await estimate([], fixed);
    const on = await estimate([], fixed, 'micro', CPU2, true);
    // micro: 20 iterations, a checkpoint every 10: the loop's 2 and the artifact's; train loads its init, fcan-pretrain builds its own
    expect(off.of('train') - bare.of('train')).toBeCloseTo(0.2 + 3 * 0.1, 10);
    expect(off.of('fcan-pretrain') - bare.of('fcan-pretrain')).toBeCloseTo(3 * 0.1, 10);
    // with TensorBoard files, each of the loop's checkpoints measures the 12 val images at scale 1 (72 px)
    const probe = 12 * (0.004 + 1e-6 * 72 * 72);
    expect(on.of('train') - off.of('train')).toBeCloseTo(2 * probe, 10);
    expect(on.stage('train').how).toMatch(/\+ 0\.20 s loading its init \+ 3 checkpoints x 0\.10 s \+ 2 x .* measuring 12 val images/);
    // an isolated training starts a process; a per-image stage on a network a thread that loads it
    expect(off.stage('train').start).toBe(2);
    expect(off.stage('attention').start).toBeCloseTo(0.5 + 0.2, 10);
    expect(off.stage('cues').start).toBe(0.5);
    expect(off.of('dataset')).toBeCloseTo(40 * 0.01, 10);
    // the run's own start (its command up to the first stage) comes before the DAG
    expect(off.e.runStart).toBe(3);
    const noRun = await estimate([], { ...fixed, startup: async () => ({ process: 2, thread: 0.5 }) });
    expect(off.e.wall - noRun.e.wall).toBeCloseTo(1, 10);
  });

  it('names what could not be measured and leaves it out of the totals', async () => {
    const broken: Measurer = {
      ...areaMachine(),
      forward: async () => {
        throw new Error('memory access out of bounds');
      },
    };
    const { e } = await estimate([], broken, 'voc');
    expect(e.unmeasured).toEqual(['attention', 'adapt', 'eval', 'eval-direct', 'eval-oracle']);
    // a fixed cost that cannot be measured is said and left out; the stage keeps its figure
    const noCheckpoint: Measurer = {
      ...areaMachine(),
      checkpoint: async () => {
        throw new Error('Aborted()');
      },
    };
    const c = await estimate([], noCheckpoint, 'micro', CPU2, true);
    expect(c.e.unmeasured).toEqual([]);
    expect(c.stage('train').how).toMatch(/its checkpoints \(not counted: none measured\)/);
    expect(c.stage('adapt').how).toMatch(/loading the network not counted/);
    expect(e.stages.find((s) => s.stage === 'eval')!.how).toMatch(/could not be measured here: memory access out of bounds/);
  });
});

describe('preflight', () => {
  const check = async (set: string[], yes = false): Promise<string[]> => {
    const r = await resolvePipeline(PIPELINE, { profile: 'micro', set });
    return preflight('micro', r.stages, () => true, { measure: areaMachine(), yes });
  };
  // a micro training step here: 1e-5 x 64^2 x batch 4 = 0.16 s, and 4 ms to augment its batch
  it('prints the estimate of a long run, and refuses one beyond 30 days unless told yes', async () => {
    expect(REFUSE_ABOVE).toBe(30 * 86400);
    expect(await check([])).toEqual([]);
    // 1e6 iterations of train, and as many of the oracle (it follows train + retrain): 3.9 days
    const long = await check(['train.iterations=1e6']);
    expect(long[0]).toMatch(/^preflight: the training stages of this run \(.*train.*\) need about 3d\d\dh of compute/);
    const refused = check(['train.iterations=1e12']);
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(
      /^preflight: .* need about [\d,]{9,} days of compute on \S+, measured here, more than the 30 days a run may take unasked; check their iterations, or pass --yes to run it anyway$/,
    );
    expect((await check(['train.iterations=1e12'], true))[0]).toMatch(/need about \d+d\d\dh of compute/);
  });
});
