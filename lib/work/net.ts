// What the per-image stages on a trained network share: one model per worker, loaded from the
// upstream training stage's checkpoint, and the dataset.
import { join } from 'node:path';
import { Dataset } from '../layouts/dataset.ts';
import type { Artifact } from '../store/artifact.ts';
import { initBackend } from '../tensor/backend.ts';
import { loadModel } from '../model/build.ts';
import type { SegmentationModel } from '../model/model.ts';
import { CHECKPOINT_DIR } from '../layouts/model.ts';

export interface NetState {
  dataset: Dataset;
  model: SegmentationModel;
}

const quiet = (): void => undefined;

export async function netSetup(dataset: Artifact, modelArtifact: Artifact): Promise<NetState> {
  await initBackend({ log: quiet });
  return { dataset: await Dataset.open(dataset), model: await loadModel(join(modelArtifact.dir, CHECKPOINT_DIR)) };
}
