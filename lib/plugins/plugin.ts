// What a plugin module named under `plugins:` in pipeline.yaml default-exports: the detectors and
// dataset sources it adds to the built-in ones (lib/saliency/detectors/list.ts,
// lib/data/sources/list.ts). Declarative, so the loader knows which file each entry came from and
// can put that file's code into the identity of the stages that select it.
import type { DetectorPlugin } from '../saliency/detector-plugin.ts';
import type { DatasetSourcePlugin } from '../data/sources/source-plugin.ts';

export interface PipelinePlugin {
  detectors?: readonly DetectorPlugin[];
  sources?: readonly DatasetSourcePlugin[];
}

/** Identity, for the types: `export default definePlugin({ detectors: [myDetector] })`. */
export function definePlugin(p: PipelinePlugin): PipelinePlugin {
  return p;
}
