// The wall time of a run from its stages' costs: the DAG replayed on the slots the run will have,
// as the executor (lib/exec/executor.ts) schedules it: at most `jobs` stages at once, each started
// when its inputs are done, in the order they became ready; a training holds its threads' cores
// (and a GPU when there are GPUs); a per-image stage spreads its images over the slots free when it
// starts (the GPUs free then, or the cores the running stages leave), and its serial part runs on
// one. The figure is the last stage's end; the critical path is the chain of stages that decided it.

export type StageRole = 'training' | 'per-image' | 'other';

export interface StageCost {
  stage: string;
  /** upstream stages (inputs); ones not in the list count as done at 0 */
  deps: string[];
  role: StageRole;
  /** it computes with tensors: on a GPU machine it holds a GPU */
  tensors: boolean;
  /** seconds on one slot (a training's duration; a per-image stage's images, spread over its slots); null: not estimated */
  seconds: number | null;
  /** seconds on one thread whatever the slots (a per-image stage's summary pass) */
  serial: number;
  /** the stage's start: a process, its modules, the backend */
  start: number;
  /** multiply-adds, 0 when not counted */
  macs: number;
}

/**
 * What will run the stages. `gpus` 0: the CPU's cores are the per-image slots; else the GPU slots
 * of the run's `--gpus` and `--gpu-share` (devices x share), which doctor reads as the run does.
 */
export interface Slots {
  cores: number;
  gpus: number;
  /** stages at once (the run's --jobs; default the cores) */
  jobs: number;
}

export interface WallPlan {
  wall: number;
  /** when each stage starts and ends */
  spans: Map<string, { start: number; end: number; slots: number }>;
  critical: string[];
}

export function planWall(stages: readonly StageCost[], slots: Slots, trainingThreads: number): WallPlan {
  const byName = new Map(stages.map((s) => [s.stage, s]));
  const spans = new Map<string, { start: number; end: number; slots: number }>();
  // what made each stage wait last: an input, or a stage whose end freed the slot it took
  const waitedOn = new Map<string, string | null>();
  const running: { stage: StageCost; end: number; cores: number; gpus: number }[] = [];
  const readyAt = new Map<string, number>();
  let now = 0;
  let lastEnded: string | null = null;
  const pending = new Set(stages.map((s) => s.stage));
  const usedCores = () => running.reduce((a, r) => a + r.cores, 0);
  const usedGpus = () => running.reduce((a, r) => a + r.gpus, 0);

  while (pending.size || running.length) {
    // stages whose inputs are done are ready, in the order they became ready (then run order)
    for (const name of pending) {
      if (readyAt.has(name)) continue;
      const deps = byName.get(name)!.deps.filter((d) => byName.has(d));
      if (deps.every((d) => spans.has(d) && spans.get(d)!.end <= now)) {
        readyAt.set(name, now);
        const last = deps.reduce<string | null>((a, d) => (a === null || spans.get(d)!.end > spans.get(a)!.end ? d : a), null);
        waitedOn.set(name, last);
      }
    }
    const ready = [...pending].filter((n) => readyAt.has(n)).sort((a, b) => readyAt.get(a)! - readyAt.get(b)!);
    let started = false;
    for (const name of ready) {
      if (running.length >= Math.max(1, slots.jobs)) break;
      const s = byName.get(name)!;
      const onGpu = slots.gpus > 0 && s.tensors;
      const freeGpus = slots.gpus - usedGpus();
      if (onGpu && freeGpus < 1) continue;
      const cores = s.role === 'training' && !onGpu ? trainingThreads : 1;
      // a per-image stage takes the slots free as it starts: the GPUs, or the cores the others leave
      const width = s.role === 'per-image' ? (onGpu ? freeGpus : Math.max(1, slots.cores - usedCores())) : 1;
      const gpus = onGpu ? (s.role === 'per-image' ? freeGpus : 1) : 0;
      const end = now + s.start + s.serial + (s.seconds ?? 0) / width;
      if (readyAt.get(name)! < now && lastEnded) waitedOn.set(name, lastEnded);
      running.push({ stage: s, end, cores, gpus });
      spans.set(name, { start: now, end, slots: width });
      pending.delete(name);
      started = true;
    }
    if (started) continue;
    if (!running.length) break;
    // the next end, and every stage ending then: their slots are free together
    running.sort((a, b) => a.end - b.end);
    now = running[0].end;
    lastEnded = running[0].stage.stage;
    while (running.length && running[0].end <= now) running.shift();
  }
  let wall = 0;
  let last: string | null = null;
  for (const [name, sp] of spans) {
    if (sp.end >= wall) {
      wall = sp.end;
      last = name;
    }
  }
  const critical: string[] = [];
  for (let at = last; at !== null && !critical.includes(at); at = waitedOn.get(at) ?? null) critical.unshift(at);
  return { wall, spans, critical };
}
