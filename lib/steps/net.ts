// What the per-image stages on a trained network share: one model per worker, loaded from the
// upstream training stage's checkpoint, and the dataset.
import { join } from 'node:path';
import { Dataset } from '../layouts/dataset.ts';
import type { ItemResult } from '../stage/stage.ts';
import type { Artifact } from '../store/artifact.ts';
import { initBackend } from '../tensor/backend.ts';
import { loadModel } from '../model/build.ts';
import type { SegmentationModel } from '../model/model.ts';
import { CHECKPOINT_DIR } from './training.ts';

export interface NetState {
  dataset: Dataset;
  model: SegmentationModel;
}

const quiet = (): void => undefined;

export async function netSetup(dataset: Artifact, modelArtifact: Artifact): Promise<NetState> {
  await initBackend({ log: quiet });
  return { dataset: await Dataset.open(dataset), model: await loadModel(join(modelArtifact.dir, CHECKPOINT_DIR)) };
}

export const round = (v: number): number => (Number.isFinite(v) ? Math.round(v * 10000) / 10000 : v);
export const map8 = (r: ItemResult, name: string): Uint8Array => r.arrays[name].data as Uint8Array;
