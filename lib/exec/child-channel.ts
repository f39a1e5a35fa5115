// What every child process of the executor does the same way (an isolated stage, child.ts; a GPU
// shard, shard-child.ts): its job arrives as JSON on stdin, messages go back on the IPC channel,
// an error thrown anywhere ends it with one message, and it stops once its parent is gone.

/** Sends `m` to the parent; without an IPC channel (run by hand) writes `fallback` to stderr. */
export function sendToParent(m: unknown, fallback: string): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stderr.write(`${fallback}\n`);
      resolve();
      return;
    }
    // a parent that is gone cannot be told; the exit code still says it
    try {
      process.send(m, () => resolve());
    } catch {
      resolve();
    }
  });
}

export async function readJobFromStdin<T>(): Promise<T> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as T;
}

/**
 * Reports an error thrown outside the awaited chain (a stream's error event) like any other, once,
 * through `report`, then exits 1. Returns the same handler, for the main chain's own catch; call
 * `done()` once the success message is on its way, so a late error does not send a second one.
 */
export function failOnce(report: (err: unknown) => Promise<void>): { fail: (err: unknown) => Promise<void>; done: () => void } {
  let ended = false;
  const fail = async (err: unknown): Promise<void> => {
    if (ended) return;
    ended = true;
    await report(err);
    process.exit(1);
  };
  process.on('uncaughtException', (err) => void fail(err));
  process.on('unhandledRejection', (err) => void fail(err));
  const done = (): void => {
    ended = true;
  };
  return { fail, done };
}

/**
 * An AbortSignal that SIGTERM aborts, and an exit once orphaned: a parent killed outright (SIGKILL)
 * cannot stop this process, which must not keep writing into a partial directory that the stage's
 * next owner resumes from.
 */
export function stopWithParent(): AbortSignal {
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort(new Error('terminated')));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 1000).unref();
  return controller.signal;
}
