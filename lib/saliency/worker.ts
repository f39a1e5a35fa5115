// Worker-thread entry for per-image detection (tinypool / worker_threads): the detector is built from
// its plain-JSON spec on first use and kept for the worker's lifetime. Run TypeScript workers with
// execArgv ['--import', 'tsx'].

import type { MapF32, RgbImage } from '../types.ts';
import { getDetector } from './index.ts';
import type { DetectorSpec } from './spec.ts';

export interface DetectTask {
  spec: DetectorSpec;
  image: RgbImage;
  modelDir?: string;
}

export default async function detectTask(task: DetectTask): Promise<MapF32> {
  const detector = await getDetector(task.spec, { modelDir: task.modelDir });
  return detector.detect(task.image);
}
