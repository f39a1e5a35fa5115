// What doctor times when the profile's own step does not fit: the largest batch (then half the
// side) that fits the backend's memory and doctor's time budget, chosen from the multiply-adds and
// the tensor bytes of a small step profiled first. Pure arithmetic, so the choice and the scaling
// that follows it can be checked without a network.

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
  /** multiply-adds of one image at a side */
  macs: BySide;
  /** tensor bytes one image adds at the peak of a step, at a side */
  bytes: BySide;
  /** tensor bytes of a step that do not grow with the batch (weights, optimiser slots) */
  fixedBytes: number;
  /** seconds per multiply-add, from the profiled step (an overestimate: profiling slows kernels) */
  secondsPerMac: number;
}

export interface StepChoice {
  side: number;
  batch: number;
  /** the profile's step costs `scale` times the timed one (1 when the profile's own step is timed) */
  scale: number;
  /** why a smaller step was timed; '' when the profile's own was */
  note: string;
}

const gb = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GB`;

/**
 * The step to time for a step of `batch` images at `side`: that step when it fits `limitBytes` and
 * `budget` seconds; else the largest batch at that side that fits both; else the same at half the
 * side; else, when even that is over the budget, the cheapest step that fits memory; and when
 * nothing fits memory, batch 1 at half the side (it may still run: the bytes are an estimate).
 */
export function chooseStep(side: number, batch: number, c: StepCosts, limitBytes: number, budget: number): StepChoice {
  const half = Math.max(16, Math.round(side / 2));
  const sides = half < side ? [side, half] : [side];
  const memory = (s: number, b: number) => c.fixedBytes + b * c.bytes(s);
  const seconds = (s: number, b: number) => b * c.macs(s) * c.secondsPerMac;
  const target = batch * c.macs(side);
  const pick = (s: number, b: number, why: string): StepChoice => ({
    side: s,
    batch: b,
    scale: target / Math.max(1, b * c.macs(s)),
    note: s === side && b === batch ? '' : why,
  });
  const full = memory(side, batch);
  const overMemory = full > limitBytes;
  const why = overMemory
    ? `batch ${batch} x ${side} px needs about ${gb(full)} of tensors, over the ${gb(limitBytes)} this backend can hold`
    : `batch ${batch} x ${side} px would take about ${Math.round(seconds(side, batch))} s a step to time, over doctor's ${budget} s`;
  let cheapest: [number, number] | null = null;
  for (const s of sides) {
    for (let b = batch; b >= 1; b--) {
      if (memory(s, b) > limitBytes) continue;
      if (seconds(s, b) <= budget) return pick(s, b, why);
      if (!cheapest || seconds(s, b) < seconds(...cheapest)) cheapest = [s, b];
    }
  }
  if (cheapest) return pick(cheapest[0], cheapest[1], why);
  return pick(half, 1, why);
}

/** The sentence an estimate carries when a smaller step was timed. */
export function describeChoice(c: StepChoice): string {
  return c.note ? `; ${c.note}, so batch ${c.batch} x ${c.side} px was timed and scaled by multiply-adds x${c.scale.toFixed(2)}` : '';
}
