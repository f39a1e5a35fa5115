// predict's reading of an evaluation stage's resolved params, and lib/distributed's independence
// from the command line.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalSettings } from '../../lib/cli/eval-settings.ts';
import type { ResolvedStage } from '../../lib/dag/load.ts';
import { importGraph } from '../architecture/import-graph.ts';

const stage = (
  params: Record<string, unknown>,
  inputs: Record<string, string> = { dataset: 'dataset', train: 'train-oracle', retrain: 'retrain' },
): ResolvedStage => ({
  name: 'eval-oracle',
  description: '',
  version: 1,
  implemented: true,
  module: '/x/eval.ts',
  inputs,
  params,
  isolate: false,
  readsLineage: true,
  tensors: true,
  onnx: false,
  perItem: true,
  guards: [],
});

describe('evalSettings', () => {
  it("takes scales, CRF, its params and the checkpoint's stage from the resolved params", () => {
    const s = evalSettings('predict', stage({ scales: [1, 0.5], crf: true, crfParams: { iterations: 3, bilSxy: 20 }, checkpoint: 'train', split: 'val' }));
    expect(s).toEqual({ scales: [1, 0.5], crf: true, crfParams: { iterations: 3, bilSxy: 20 }, modelStage: 'train-oracle', datasetStage: 'dataset' });
  });

  it('refuses a stage that is no evaluation, naming it', () => {
    expect(() => evalSettings('predict', stage({ gamma: 0.4 }))).toThrow(
      /^pipeline predict: stage eval-oracle is not an evaluation of a trained network \(no scales param\)$/,
    );
    expect(() => evalSettings('predict', stage({ scales: [1], crf: false, crfParams: {}, checkpoint: 'nope' }))).toThrow(
      /checkpoint param naming one of its inputs/,
    );
    expect(() => evalSettings('predict', stage({ scales: [1], crf: false, crfParams: { sharpness: 2 }, checkpoint: 'train' }))).toThrow(/crfParams\.sharpness/);
  });
});

describe('layering', () => {
  it('lib/distributed imports nothing from lib/cli (the command line sits above it)', () => {
    const up = importGraph(resolve(import.meta.dirname, '../..')).filter((e) => e.from.startsWith('lib/distributed/') && e.to.startsWith('lib/cli/'));
    expect(up).toEqual([]);
  });
});
