// How figures are printed: one formatter for each kind, so that no stage prints `1m60s` or `NaN%`.

/** `4.2s`, `37s`, `2m05s`, `3h07m`, `164d17h`; `?` for an unknown (non-finite or negative) duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  // round once, at the precision shown, so a carry moves into the next unit (59.6 s is 1m00s)
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(seconds / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  const h = Math.round(seconds / 3600);
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** A share as a percentage (`61.2%`); `n/a` where it is undefined (no foreground predicted: 0/0). */
export function formatPercent(share: number, digits = 1): string {
  return Number.isFinite(share) ? `${(100 * share).toFixed(digits)}%` : 'n/a';
}

/** A recorded figure at a fixed precision (4 decimals unless said), so manifests stay readable and stable; non-finite values pass through. */
export function roundTo(v: number, decimals = 4): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
