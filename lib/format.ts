// How figures are printed: one formatter for each kind, so that no stage prints `1m60s` or `NaN%`.

/** `4.2s`, `37s`, `2m05s`, `3h07m`; `?` for an unknown (non-finite or negative) duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  // round once, at the precision shown, so a carry moves into the next unit (59.6 s is 1m00s)
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A share as a percentage (`61.2%`); `n/a` where it is undefined (no foreground predicted: 0/0). */
export function formatPercent(share: number, digits = 1): string {
  return Number.isFinite(share) ? `${(100 * share).toFixed(digits)}%` : 'n/a';
}
