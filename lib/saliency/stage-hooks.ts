// What the saliency stages ask of the chosen detector while the pipeline is planned: the param
// checks, the inputs it reads, whether it computes with tensors or onnxruntime, refusals, and the code identity of
// a plugin's detector. Read from the registry, so no stage lists detector names.
import { z } from 'zod';
import type { DetectorChoice } from './detector-plugin.ts';
import { detectorCode, findDetector, optionIssues, unknownDetector } from './registry.ts';

/** saliency-s1.detector: a name the registry knows (the pipeline file's plugins loaded first) */
export const detectorName = z.string().superRefine((name, ctx) => {
  if (!findDetector(name)) ctx.addIssue({ code: 'custom', message: unknownDetector(name) });
});

/** What saliency-s1's params must hold for these hooks. */
export interface DetectorParams extends DetectorChoice {
  detector: string;
}

/** The chosen detector's own checks of saliency-s1's params, as zod issues (exit 2 before anything runs). */
export function checkDetectorParams(p: DetectorParams, ctx: z.RefinementCtx): void {
  const d = findDetector(p.detector);
  if (!d) return;
  const issues = d.checkParams ? d.checkParams(p) : optionIssues(d, p);
  for (const i of issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
}

/**
 * A plugin's detector brings its code identity into the params (so into saliency-s1's key and into
 * what status shows as changed); a built-in one adds nothing, its code being the stage's own. The
 * value is recomputed at every parse: a worker re-parsing a job's params gets its own code's
 * identity, and refuses the job when it differs.
 */
export function withDetectorCode<P extends DetectorParams & { detectorCode?: string }>(p: P): P {
  const { detectorCode: _given, ...rest } = p;
  const code = detectorCode(p.detector);
  return (code === undefined ? rest : { ...rest, detectorCode: code }) as P;
}

export const detectorReadsWeights = (p: DetectorParams): boolean => findDetector(p.detector)?.readsWeights?.(p) ?? false;
export const detectorTensors = (p: DetectorParams): boolean => findDetector(p.detector)?.tensors ?? false;
export const detectorOnnx = (p: DetectorParams): boolean => findDetector(p.detector)?.onnx ?? false;
export const detectorRefusal = (p: DetectorParams, hasWeightsInput: boolean): { key: string; message: string } | null =>
  findDetector(p.detector)?.refuse?.(p, hasWeightsInput) ?? null;
