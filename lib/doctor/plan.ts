// What doctor will time, said before it starts: the estimate run once over a measurer that only
// records its calls, and an upper bound on how long each takes (a step or pass is timed within the
// budget, after a few small profiled ones, in a process of its own).
import type { ResolvedStage } from '../dag/resolve.ts';
import { estimateRun, type Measurer, type Timed } from './estimate.ts';

export interface PlannedMeasurement {
  what: string;
  /** seconds it may take at most, about */
  upTo: number;
}

const free: Timed = { seconds: 0, macs: 0, note: '' };

/** The measurements an estimate of `stages` makes, each once, with about how long each may take. */
export async function measurementPlan(stages: ResolvedStage[], budget: number, start = 5): Promise<PlannedMeasurement[]> {
  const out = new Map<string, PlannedMeasurement>();
  const note = (key: string, what: string, upTo: number) => {
    if (!out.has(key)) out.set(key, { what, upTo });
  };
  // a step or pass near the budget, its profiles (about half of it) and its process's start
  const fitted = start + 1.5 * budget;
  const recorder: Measurer = {
    trainStep: async (net, kind, crop, batch) => {
      note(`t${net.model}${kind}${crop}${batch}`, `a ${net.model} ${kind} training step (batch ${batch} x ${crop} px)`, fitted);
      return free;
    },
    forward: async (net, sizes) => {
      note(
        `f${net.model}${JSON.stringify(sizes)}`,
        `${net.model} forward passes at ${sizes.map(([w, h]) => `${w}x${h}`).join(', ')}`,
        start + sizes.length * 1.5 * budget,
      );
      return sizes.map(() => free);
    },
    saliencyStep: async (variant, size, _w, batch) => {
      note(`s${variant}${size}${batch}`, `a ${variant} training step (batch ${batch} x ${size} px)`, fitted);
      return free;
    },
    detect: async (detector, width, height) => {
      note(`d${JSON.stringify(detector)}`, `a ${String(detector.kind)} detector pass at ${width}x${height}`, detector.kind === 'boundary' ? start + 2 : fitted);
      return free;
    },
    crf: async (width, height) => {
      note(`c${width}x${height}`, `the dense CRF at ${width}x${height}`, start + 10);
      return 0;
    },
    decode: async (width, height) => {
      note(`j${width}x${height}`, `JPEG decoding at ${width}x${height}`, start + 1);
      return 0;
    },
    augment: async (width, height, crop) => {
      note(`a${width}x${height}${crop}`, `augmenting a ${crop} px crop`, start + 1);
      return 0;
    },
    checkpoint: async (net, slots) => {
      note(`k${net.model}${slots}`, `saving and loading a ${net.model} checkpoint`, start + 10);
      return { save: 0, load: 0 };
    },
    toyImage: async () => {
      note('toy', 'generating toy images', start + 2);
      return 0;
    },
    startup: async () => {
      note('startup', 'a worker thread starting', start + 2);
      return { process: 0, thread: 0 };
    },
  };
  await estimateRun(stages, recorder, { slots: { cores: 1, gpus: 0, jobs: 1 }, trainingThreads: 1 });
  return [...out.values()];
}
