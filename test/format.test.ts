import { describe, expect, it } from 'vitest';
import { formatDuration, formatPercent } from '../lib/format.ts';

describe('printed figures', () => {
  it('durations carry into the next unit instead of printing 60 of the smaller one', () => {
    expect([4.24, 9.96, 37.4, 59.6, 119.6, 125, 3599.6, 3600, 11_220].map(formatDuration)).toEqual([
      '4.2s',
      '10s',
      '37s',
      '1m00s',
      '2m00s',
      '2m05s',
      '1h00m',
      '1h00m',
      '3h07m',
    ]);
    // a compute estimate runs into days (pipeline doctor)
    expect([86_369, 86_400, 90_000, 14_230_000].map(formatDuration)).toEqual(['23h59m', '1d00h', '1d01h', '164d17h']);
    expect([Number.NaN, Infinity, -1].map(formatDuration)).toEqual(['?', '?', '?']);
  });

  it('a share that is undefined (0/0) prints n/a, not NaN%', () => {
    expect(formatPercent(0.6123)).toBe('61.2%');
    expect(formatPercent(0 / 0)).toBe('n/a');
    expect(formatPercent(1, 0)).toBe('100%');
  });
});
