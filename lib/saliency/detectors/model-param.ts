// saliency-s1.model for the detectors that read a model file or folder (onnx, tfjs): which spec key
// it fills, and the refusal when it is missing.
import type { DetectorChoice } from '../detector-plugin.ts';

export function modelFromParams(c: DetectorChoice, key: 'model' | 'path'): Record<string, unknown> {
  return { ...c.options, ...(c.model ? { [key]: c.model } : {}) };
}

export function needsModel(c: DetectorChoice, name: string, what: string): { key: string; message: string } | null {
  return c.model ? null : { key: 'model', message: `detector ${name} needs a model (${what})` };
}
