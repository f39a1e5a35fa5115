// saliency-train on a micro set: the loss goes down, a run stopped after a checkpoint resumes from
// it and ends with the same weights as a straight run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StageContext } from '../../lib/contract/stage.ts';
import { work as saliencyTrain } from '../../lib/work/saliency-train.ts';
import type { SaliencyTrainParams } from '../../stages/saliency-train.ts';
import { TRAINED_WEIGHTS_DIR } from '../../lib/saliency/spec.ts';
import { ArtifactWriter } from '../../lib/store/artifact-writer.ts';
import { silentProgress, type ProgressSink } from '../../lib/types.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PARAMS: SaliencyTrainParams = {
  source: 'toy-agnostic',
  duts: {},
  widthDivisor: 1,
  count: 16,
  toy: { minSize: 40, maxSize: 56, maxObjects: 2, lowContrastRate: 0 },
  holdout: 4,
  variant: 'dhsnet-lite',
  size: 32,
  init: 'none',
  iterations: 40,
  batch: 4,
  optimizer: 'sgd',
  lr: 0.02,
  momentum: 0.9,
  weightDecay: 5e-4,
  power: 0.9,
  scale: [0.75, 1.25],
  mirror: true,
  checkpointEvery: 10,
  divergeFactor: 100,
  seed: 7,
};

function context(
  params: SaliencyTrainParams,
  work: string,
  progress: ProgressSink = silentProgress,
  signal = new AbortController().signal,
): StageContext<SaliencyTrainParams> & { outDir: string } {
  const outDir = mkdtempSync(join(tmpdir(), 'saliency-train-out-'));
  dirs.push(outDir);
  return {
    stage: 'saliency-train',
    params,
    inputs: {},
    out: new ArtifactWriter(outDir),
    workDir: work,
    dataDir: work,
    progress,
    log: () => {},
    signal,
    outDir,
  };
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'saliency-train-'));
  dirs.push(d);
  return d;
}

describe('saliency-train (micro set)', () => {
  it('lowers the deep-supervision loss', async () => {
    const ctx = context(PARAMS, tmp());
    const m = (await saliencyTrain.run(ctx)) as { firstLoss: number; finalLoss: number; heldOut: { images: number } };
    // five maps at ln 2 each is where an untrained net starts; the curve's tail must sit well below its start
    expect(m.firstLoss).toBeGreaterThan(2);
    expect(m.finalLoss).toBeLessThan(0.85 * m.firstLoss);
    expect(m.heldOut.images).toBe(4);
    const curve = JSON.parse(readFileSync(join(ctx.outDir, 'curve.json'), 'utf8')) as { loss: number }[];
    expect(curve).toHaveLength(40);
  }, 120_000);

  it('resumes from its checkpoint to the same weights as a straight run', async () => {
    const params = { ...PARAMS, iterations: 16, checkpointEvery: 5 };
    const straight = context(params, tmp());
    await saliencyTrain.run(straight);

    const work = tmp();
    const stop = new AbortController();
    let seen = 0;
    const stopping: ProgressSink = {
      ...silentProgress,
      tick: (n = 1) => {
        seen += n;
        if (seen >= 7) stop.abort(new Error('killed'));
      },
    };
    await expect(saliencyTrain.run(context(params, work, stopping, stop.signal))).rejects.toThrow(/killed/);
    const resumed = context(params, work);
    const m = (await saliencyTrain.run(resumed)) as { resumedFrom: number };
    expect(m.resumedFrom).toBe(5);
    const bytes = (c: { outDir: string }) => readFileSync(join(c.outDir, TRAINED_WEIGHTS_DIR, 'weights.bin'));
    expect(bytes(resumed).equals(bytes(straight))).toBe(true);
  }, 120_000);
});
