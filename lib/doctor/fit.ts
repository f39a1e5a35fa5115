// What doctor times when the profile's own step does not fit: the largest batch (then half the
// side) that fits the backend's memory and doctor's time budget, chosen from the multiply-adds of
// a few small steps profiled first. Whether a step fits the memory is found by trying it (the
// isolated measurer retries below a step whose process ran out): a step's peak tensor bytes are not
// what tfjs's profile reports. Pure arithmetic, so the choice and its scaling can be checked
// without a network.

/** A quantity of one image at a side s, fitted through two profiled sides: a s^2 + b s. */
export type BySide = (side: number) => number;

/**
 * The curve a s^2 + b s through (s0, v0) and (s1, v1): a convolution's work grows with its output
 * grid, whose sides are ceil(s / stride), so a pure area law is off at small sides; the linear term
 * takes up that border.
 */
export function throughTwo(s0: number, v0: number, s1: number, v1: number): BySide {
  const a = (v1 / s1 - v0 / s0) / (s1 - s0);
  const b = v0 / s0 - a * s0;
  return (s) => Math.max(0, a * s * s + b * s);
}

export interface StepCosts {
  /** multiply-adds a step spends whatever its batch (the optimiser's products) */
  fixedMacs: number;
  /** multiply-adds of one image at a side */
  macs: BySide;
  /** seconds per multiply-add, from the largest profiled step (an overestimate: profiling slows kernels) */
  secondsPerMac: number;
}

/** A step that was tried here and did not fit: only smaller ones are tried after it. */
export interface Failed {
  side: number;
  batch: number;
  why: string;
}

export interface StepChoice {
  side: number;
  batch: number;
  /** the profile's own step costs `scale` times the timed one (1 when it is timed itself) */
  scale: number;
  /** why a smaller step was timed and how it was scaled, as the estimate says it; '' when the profile's own was timed */
  note: string;
}

/** How a step is named in a note: `batch 10 x 321 px` (a forward pass names its width x height). */
export type StepName = (side: number, batch: number) => string;

const batchOf: StepName = (side, batch) => `batch ${batch} x ${side} px`;

export const stepMacs = (c: StepCosts, side: number, batch: number): number => c.fixedMacs + batch * c.macs(side);

/**
 * The step to time for a step of `batch` images at `side`: that step when it is within `budget`
 * seconds (and smaller than a step that `failed` here); else the largest batch at that side within
 * both; else the same at half the side; else, over the budget, the cheapest of those.
 */
export function chooseStep(side: number, batch: number, c: StepCosts, budget: number, failed?: Failed, name: StepName = batchOf): StepChoice {
  const half = Math.max(16, Math.round(side / 2));
  const sides = half < side ? [side, half] : [side];
  const cost = (s: number, b: number) => stepMacs(c, s, b);
  const seconds = (s: number, b: number) => cost(s, b) * c.secondsPerMac;
  const candidates: [number, number][] = [];
  for (const s of sides) for (let b = batch; b >= 1; b--) if (!failed || cost(s, b) < cost(failed.side, failed.batch)) candidates.push([s, b]);
  if (!candidates.length) candidates.push([half, 1]);
  const within = candidates.find(([s, b]) => seconds(s, b) <= budget);
  const [s, b] = within ?? candidates.reduce((x, y) => (cost(y[0], y[1]) < cost(x[0], x[1]) ? y : x));
  const why = failed
    ? `${name(failed.side, failed.batch)} did not fit here (${failed.why})`
    : `${name(side, batch)} would take about ${Math.round(seconds(side, batch))} s to time, over doctor's ${budget} s`;
  const note =
    s === side && b === batch
      ? ''
      : `; ${why}, so ${name(s, b)} was timed and scaled by multiply-adds x${(cost(side, batch) / Math.max(1, cost(s, b))).toFixed(2)}`;
  return { side: s, batch: b, scale: cost(side, batch) / Math.max(1, cost(s, b)), note };
}
