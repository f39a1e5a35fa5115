// Progress for one stage: a redrawn bar on a TTY (items/s, ETA, extra fields such as loss), and
// on anything else plain lines at most every few seconds, so CI logs stay readable.
import type { ProgressSink } from '../types.ts';

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  tty?: boolean;
  /** seconds between plain lines */
  every?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function createProgress(stage: string, opts: ProgressOptions = {}): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const every = (opts.every ?? 5) * 1000;
  let total = 0;
  let done = 0;
  let label = '';
  let started = 0;
  let lastDraw = 0;
  let fields: Record<string, number | string> = {};

  const line = (): string => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = total > done && rate > 0 ? (total - done) / rate : 0;
    const pct = total ? Math.min(100, (100 * done) / total) : 0;
    // rate and ETA are drawn from the counts already; a sink's own copies of them would repeat them
    const extra = Object.entries(fields)
      .filter(([k]) => k !== 'it/s' && k !== 'eta')
      .map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNum(v) : v}`)
      .join('  ');
    const bar = tty && total ? `[${'#'.repeat(Math.round(pct / 5)).padEnd(20, '.')}] ` : '';
    return `${stage}${label ? ` ${label}` : ''}: ${bar}${done}/${total || '?'} (${pct.toFixed(0)}%) ${fmtNum(rate)}/s ETA ${formatDuration(eta)}${extra ? `  ${extra}` : ''}`;
  };
  const draw = (force: boolean): void => {
    const now = performance.now();
    if (tty) {
      if (!force && now - lastDraw < 100) return;
      stream.write(`\r\x1b[2K${line()}`);
    } else {
      if (!force && now - lastDraw < every) return;
      stream.write(`${line()}\n`);
    }
    lastDraw = now;
  };
  return {
    start(n, l) {
      total = n;
      done = 0;
      label = l ?? '';
      fields = {};
      started = performance.now();
      lastDraw = started;
    },
    tick(n = 1, f) {
      done += n;
      if (f) fields = { ...fields, ...f };
      draw(false);
    },
    done() {
      if (total === 0 && done === 0) return;
      draw(true);
      if (tty) stream.write('\n');
      total = 0;
      done = 0;
    },
  };
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(3);
}
