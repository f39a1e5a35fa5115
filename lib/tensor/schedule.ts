// Learning-rate schedules.

/**
 * DeepLab's "poly" policy: lr = base * (1 - it / (T + 1))^power, it = 0..T. The +1 keeps the last
 * iteration's rate above zero.
 */
export function polyLr(base: number, iteration: number, totalIterations: number, power = 0.9): number {
  if (iteration < 0 || iteration > totalIterations) {
    throw new Error(`polyLr: iteration ${iteration} outside 0..${totalIterations}`);
  }
  return base * (1 - iteration / (totalIterations + 1)) ** power;
}
