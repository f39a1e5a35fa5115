// One line of `pipeline status` for a stage key being computed (or abandoned): how far, how fast,
// ETA, who and since when, and what the stage last reported (loss, lr).
import { formatDuration } from '../format.ts';
import type { WorkInProgress } from './in-progress.ts';
import type { ProgressRecord } from './progress-file.ts';

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function howFar(p: ProgressRecord): string {
  const pct = p.total > 0 ? ` (${Math.min(100, Math.floor((100 * p.done) / p.total))}%)` : '';
  return `${p.label ? `${p.label} ` : ''}${count(p.done)}/${p.total > 0 ? count(p.total) : '?'}${pct}`;
}

function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '?' : d.toTimeString().slice(0, 8);
}

function fields(p: ProgressRecord): string {
  // the rate and ETA are shown from the counts already
  const f = Object.entries(p.fields).filter(([k]) => k !== 'it/s' && k !== 'eta');
  return f.length ? `; ${f.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
}

export function describeWork(w: WorkInProgress, now = Date.now()): string {
  const who = w.worker
    ? `worker ${w.worker.worker}${w.worker.attempt && w.worker.attempt > 1 ? ` (attempt ${w.worker.attempt})` : ''}`
    : w.owner
      ? `pid ${w.owner.pid} on ${w.owner.host}`
      : 'a process whose lock is being written';
  const since = w.owner?.started ? ` since ${clock(w.owner.started)} (${formatDuration((now - Date.parse(w.owner.started)) / 1000)})` : '';
  const p = w.progress;
  if (w.state === 'abandoned') {
    const last = p ? `; it stopped at ${howFar(p)}, ${formatDuration((now - Date.parse(p.updated)) / 1000)} ago` : '';
    return `${w.why ?? 'abandoned'}${last}; the next run takes the lock over and resumes from what was kept`;
  }
  if (!p) return `starting: ${who}${since}`;
  const rate = p.rate !== null ? `, ${p.rate >= 10 ? p.rate.toFixed(0) : p.rate.toFixed(2)}/s` : '';
  const eta = w.eta !== null ? `, ETA ${formatDuration(w.eta)}` : '';
  return `${howFar(p)}${rate}${eta}; ${who}${since}${fields(p)}`;
}
