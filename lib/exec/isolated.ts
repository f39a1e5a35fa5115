// An isolated stage runs in a child process (lib/exec/child.ts): its tensor memory and a native
// crash stay there, and the caller's event loop stays free to renew locks and queue jobs. The job
// goes to the child on its stdin and the reply comes back on an IPC channel: nothing is written for
// the exchange, so a full disk cannot lose the reason a stage failed.
import { StageFailedError } from '../errors.ts';
import { libFile, TSX_LOADER } from '../paths.ts';
import { StageNotImplementedError } from '../contract/stage.ts';
import { PROGRESS_PIPE_ENV, relayChildLine } from './progress.ts';
import type { StageJob, StageJobResult } from './stage-runner.ts';

const CHILD = libFile('exec/child.ts');

/** What the child sends back: its result, or its failure as one line. */
export type ChildReply = { ok: true; result: StageJobResult } | { ok: false; error: string; name: string };

/**
 * `env`: added to this process's environment for the child (a GPU slot's CUDA_VISIBLE_DEVICES).
 * `onMessage`: the child's messages before its reply (a GPU shard's end), handled before this returns.
 */
export async function runIsolated(job: StageJob, env: Record<string, string> = {}, onMessage?: (m: unknown) => void): Promise<StageJobResult> {
  // imported here: the cached path of a run never needs it, and it is slow to load
  const { execa } = await import('execa');
  // on a TTY the child's bar joins this process's status line, and its log lines print above it
  const relay = Boolean(process.stderr.isTTY);
  const run = execa(process.execPath, ['--import', TSX_LOADER, CHILD], {
    input: JSON.stringify(job),
    stdio: ['pipe', 'inherit', relay ? 'pipe' : 'inherit'],
    ipc: true,
    serialization: 'json',
    env: { ...env, ...(relay ? { [PROGRESS_PIPE_ENV]: '1' } : {}) },
    reject: false,
    buffer: { stdout: false, stderr: false, ipc: true },
  });
  if (relay && run.stderr) {
    const { createInterface } = await import('node:readline');
    createInterface({ input: run.stderr }).on('line', (line) => relayChildLine(job.stage, line));
  }
  const messages = onMessage
    ? (async () => {
        for await (const m of run.getEachMessage()) onMessage(m);
      })().catch(() => undefined)
    : null;
  const child = await run;
  await messages;
  if (relay) relayChildLine(job.stage, null);
  const reply = child.ipcOutput.at(-1) as ChildReply | undefined;
  if (reply?.ok) return reply.result;
  if (reply?.name === 'StageNotImplementedError') throw new StageNotImplementedError(job.stage);
  const why = reply?.error ?? (child.signal ? `child process killed by ${child.signal}` : `child process exited with code ${child.exitCode}`);
  throw new StageFailedError(job.stage, why);
}
