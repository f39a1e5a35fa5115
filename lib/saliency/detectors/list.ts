// The built-in saliency detectors, one file each. Adding one: a file in this folder exporting a
// defineDetector({...}) object, and one line here. A project's own detectors come through
// `plugins:` in pipeline.yaml instead (lib/plugins).
import type { DetectorPlugin } from '../detector-plugin.ts';
import { boundaryDetector } from './boundary.ts';
import { dhsnetDetector } from './dhsnet.ts';
import { isnetDetector } from './isnet.ts';
import { onnxDetector } from './onnx.ts';
import { tfjsDetector } from './tfjs.ts';

export const BUILT_IN_DETECTORS: readonly DetectorPlugin[] = [boundaryDetector, onnxDetector, tfjsDetector, dhsnetDetector, isnetDetector];
