// What doctor times when the profile's step does not fit, and the arithmetic it rests on: a
// quantity fitted through two sides, multiply-adds read from kernel shapes, and the choice of the
// largest step that fits the memory and the time budget.
import { describe, expect, it } from 'vitest';
import { chooseStep, stepMacs, throughTwo, type StepCosts } from '../../lib/doctor/fit.ts';
import { kernelMacs } from '../../lib/doctor/macs.ts';

describe('throughTwo', () => {
  it('passes through both points and follows a s^2 + b s beyond them', () => {
    const f = (s: number) => 3 * s * s + 50 * s;
    const g = throughTwo(27, f(27), 54, f(54));
    expect(g(27)).toBeCloseTo(f(27), 6);
    expect(g(54)).toBeCloseTo(f(54), 6);
    expect(g(321)).toBeCloseTo(f(321), 4);
  });
});

describe('kernelMacs', () => {
  it('counts a convolution, its two gradients and a matrix product by their shapes', () => {
    // 3x3 conv, 8 -> 16 channels, on a 10x10 output of batch 2: 2*10*10*16 outputs x 3*3*8 each
    const conv = 2 * 10 * 10 * 16 * 3 * 3 * 8;
    expect(
      kernelMacs({
        name: 'Conv2D',
        inputShapes: [
          [2, 10, 10, 8],
          [3, 3, 8, 16],
        ],
        outputShapes: [[2, 10, 10, 16]],
      }),
    ).toBe(conv);
    expect(
      kernelMacs({
        name: 'Conv2DBackpropInput',
        inputShapes: [
          [2, 10, 10, 16],
          [3, 3, 8, 16],
        ],
        outputShapes: [[2, 10, 10, 8]],
      }),
    ).toBe(conv);
    expect(
      kernelMacs({
        name: 'Conv2DBackpropFilter',
        inputShapes: [
          [2, 10, 10, 8],
          [2, 10, 10, 16],
        ],
        outputShapes: [[3, 3, 8, 16]],
      }),
    ).toBe(conv);
    // [4, 5, 6] x [4, 6, 7]: 4*5*7 outputs of 6 products each, transposed or not
    expect(
      kernelMacs({
        name: 'BatchMatMul',
        inputShapes: [
          [4, 5, 6],
          [4, 6, 7],
        ],
        outputShapes: [[4, 5, 7]],
      }),
    ).toBe(4 * 5 * 7 * 6);
    expect(
      kernelMacs({
        name: 'BatchMatMul',
        inputShapes: [
          [4, 6, 5],
          [4, 7, 6],
        ],
        outputShapes: [[4, 5, 7]],
      }),
    ).toBe(4 * 5 * 7 * 6);
    expect(kernelMacs({ name: 'Relu', inputShapes: [[2, 10]], outputShapes: [[2, 10]] })).toBe(0);
  });
});

describe('chooseStep', () => {
  // one image: 1e9 multiply-adds at side 100, growing with the area; 1e8 per step whatever the batch; 1 ns each
  const costs: StepCosts = { fixedMacs: 1e8, macs: (s) => 1e9 * (s / 100) ** 2, secondsPerMac: 1e-9 };

  it("times the profile's own step when it is within the budget", () => {
    const c = chooseStep(100, 10, costs, 60);
    expect(c).toEqual({ side: 100, batch: 10, scale: 1, note: '' });
    expect(stepMacs(costs, 100, 10)).toBe(1.01e10);
  });

  it('below a step that did not fit here: the largest batch smaller than it, scaled by multiply-adds, and says why', () => {
    const c = chooseStep(100, 10, costs, 60, { side: 100, batch: 10, why: 'Aborted()' });
    expect(c).toMatchObject({ side: 100, batch: 9 });
    expect(c.scale).toBeCloseTo(1.01e10 / 9.1e9, 9);
    expect(c.note).toBe('; batch 10 x 100 px did not fit here (Aborted()), so batch 9 x 100 px was timed and scaled by multiply-adds x1.11');
    // batch 1 failed too: half the side
    expect(chooseStep(100, 10, costs, 60, { side: 100, batch: 1, why: 'Aborted()' })).toMatchObject({ side: 50, batch: 3 });
  });

  it('over the budget: the largest batch timed within it; then half the side', () => {
    expect(chooseStep(100, 10, costs, 3.5)).toMatchObject({ side: 100, batch: 3 });
    // not even batch 1 at side 100 (1.1 s) in 0.65 s: half the side, batch 2 (0.6 s)
    const c = chooseStep(100, 10, costs, 0.65);
    expect(c).toMatchObject({ side: 50, batch: 2 });
    expect(c.scale).toBeCloseTo(1.01e10 / 6e8, 9);
    expect(c.note).toBe(
      "; batch 10 x 100 px would take about 10 s to time, over doctor's 0.65 s, so batch 2 x 50 px was timed and scaled by multiply-adds x16.83",
    );
  });

  it('nothing within the budget: the cheapest step', () => {
    expect(chooseStep(100, 10, costs, 0.01)).toMatchObject({ side: 50, batch: 1 });
  });
});
