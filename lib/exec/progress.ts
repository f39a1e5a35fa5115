// Progress for one stage: a redrawn bar on a TTY (items/s, ETA, extra fields such as loss), and
// on anything else plain lines at most every few seconds, so CI logs stay readable.
// Stages run side by side, so on a TTY every bar of the process shares one status line (the board),
// and log lines are printed above it. An isolated stage's child process sends its bar to the parent
// as a tagged line on stderr (PROGRESS_TAG) instead of drawing it, and the parent puts it on the board.
import type { ProgressSink } from '../types.ts';
import { formatDuration } from '../format.ts';

/** a child's stderr line carrying its bar rather than a log line */
export const PROGRESS_TAG = '\u001e';
/** set in an isolated stage's environment when the parent draws a board */
export const PROGRESS_PIPE_ENV = 'DCSP_PROGRESS_PIPE';

/** The status line of one TTY stream: the current bar of every active stage, joined. */
class Board {
  private readonly bars = new Map<string, string>();
  constructor(private readonly stream: NodeJS.WriteStream) {}

  set(stage: string, line: string): void {
    this.bars.set(stage, line);
    this.draw();
  }

  /** a stage's bar is finished: print its last state above the board */
  finish(stage: string, line: string): void {
    this.bars.delete(stage);
    this.print(line);
  }

  /** a stage's bar goes away without a last word (its process died) */
  drop(stage: string): void {
    if (this.bars.delete(stage)) this.stream.write('\r\x1b[2K');
    this.draw();
  }

  print(text: string): void {
    this.stream.write(`\r\x1b[2K${text.endsWith('\n') ? text : `${text}\n`}`);
    this.draw();
  }

  private draw(): void {
    if (this.bars.size === 0) return;
    const width = Math.max(20, (this.stream.columns || 120) - 1);
    // side by side, the [####....] part of each bar is dropped: the counts say as much
    const bars = [...this.bars.values()];
    const line = bars.length > 1 ? bars.map((b) => b.replace(/\[[#.]{20}\] /, '')).join(' | ') : bars[0];
    this.stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}~` : line}`);
  }
}

const boards = new Map<NodeJS.WriteStream, Board>();

function boardOf(stream: NodeJS.WriteStream): Board {
  let b = boards.get(stream);
  if (!b) {
    b = new Board(stream);
    boards.set(stream, b);
  }
  return b;
}

/** Write a log line; on a TTY it goes above the status line, which is redrawn under it. */
export function writeLine(text: string, stream: NodeJS.WriteStream = process.stderr): void {
  if (stream.isTTY) boardOf(stream).print(text);
  else stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * A line of an isolated stage's stderr, in the parent: a tagged bar goes on the board (its final
 * state, tagged twice, above it), anything else is a log line; null once the child has exited.
 */
export function relayChildLine(stage: string, line: string | null, stream: NodeJS.WriteStream = process.stderr): void {
  // null: the child has exited; a bar it left unfinished (a crash) must not linger on the board
  if (line === null) boardOf(stream).drop(stage);
  else if (line.startsWith(PROGRESS_TAG + PROGRESS_TAG)) boardOf(stream).finish(stage, line.slice(2));
  else if (line.startsWith(PROGRESS_TAG)) boardOf(stream).set(stage, line.slice(1));
  else writeLine(line, stream);
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  tty?: boolean;
  /** seconds between plain lines */
  every?: number;
}

export function createProgress(stage: string, opts: ProgressOptions = {}): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  // in a child whose parent draws the board: send the bar up, tagged, as if on a TTY
  const piped = opts.tty === undefined && process.env[PROGRESS_PIPE_ENV] === '1';
  const tty = piped || (opts.tty ?? Boolean(stream.isTTY));
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
      if (piped) stream.write(`${PROGRESS_TAG}${line()}\n`);
      else boardOf(stream).set(stage, line());
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
      if (piped) stream.write(`${PROGRESS_TAG}${PROGRESS_TAG}${line()}\n`);
      else if (tty) boardOf(stream).finish(stage, line());
      else draw(true);
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
