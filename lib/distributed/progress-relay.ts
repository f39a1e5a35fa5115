// A stage's progress across machines: the worker's sink sends its state as the job's progress (at
// most once a second, plus start and end), and the coordinator replays it into its own sink, so a
// distributed run shows the same bars and lines as a local one.
import type { ProgressSink } from '../types.ts';

export interface ProgressReport {
  total: number;
  done: number;
  label?: string;
  fields?: Record<string, number | string>;
  finished?: boolean;
}

/** The worker's end: a sink whose state goes out through `send` (job.updateProgress). */
export function progressSender(send: (r: ProgressReport) => Promise<unknown>, everyMs = 1000): ProgressSink {
  const state: ProgressReport = { total: 0, done: 0 };
  let last = 0;
  const push = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - last < everyMs) return;
    last = now;
    void send({ ...state }).catch(() => undefined);
  };
  return {
    start(total, label) {
      state.total = total;
      state.done = 0;
      state.label = label;
      state.finished = false;
      push(true);
    },
    tick(n = 1, fields) {
      state.done += n;
      if (fields) state.fields = fields;
      push(false);
    },
    done() {
      state.finished = true;
      push(true);
    },
  };
}

/** The coordinator's end: reports replayed into `sink`; `end()` closes a bar that was started. */
export function progressRelay(sink: ProgressSink): { report(r: ProgressReport): void; end(): void } {
  let started = false;
  let total = -1;
  let done = 0;
  const end = (): void => {
    if (started) sink.done();
    started = false;
  };
  return {
    report(r) {
      if (!started || r.total !== total || r.done < done) {
        end();
        sink.start(r.total, r.label);
        started = true;
        total = r.total;
        done = 0;
      }
      if (r.done > done) sink.tick(r.done - done, r.fields);
      done = r.done;
      if (r.finished) end();
    },
    end,
  };
}
