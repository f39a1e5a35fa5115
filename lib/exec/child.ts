// Entry of an isolated stage process: `node --import tsx child.ts`, the job on stdin, the reply on
// the IPC channel. Nothing goes through the disk between the two processes, so a stage that fails
// because the disk is full still reports why (one line, naming the path), and leaves no reply file.
// Tensor memory and native crashes stay in this process; the parent reports the stage as failed.
import { shardedChunks } from './gpu-shards.ts';
import type { ChildReply } from './isolated.ts';
import { createProgress } from './progress.ts';
import { failureLine } from './stage-failure.ts';
import { executeStageJob, type StageJob } from './stage-runner.ts';

let job: StageJob | undefined;

function reply(r: ChildReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stderr.write(`${r.ok ? 'done' : `error: ${r.error}`}\n`);
      resolve();
      return;
    }
    // a parent that is gone cannot be told; the exit code still says it
    try {
      process.send(r, () => resolve());
    } catch {
      resolve();
    }
  });
}

let failing = false;
async function fail(err: unknown): Promise<void> {
  if (failing) return;
  failing = true;
  const e = err as Error | undefined;
  await reply({ ok: false, error: failureLine(err, job?.partialDir), name: e?.name ?? 'Error' });
  process.exit(1);
}
// an error thrown outside the awaited chain (a stream's error event) is this stage's failure too,
// reported like any other instead of as a raw stack
process.on('uncaughtException', (err) => void fail(err));
process.on('unhandledRejection', (err) => void fail(err));

async function readJob(): Promise<StageJob> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as StageJob;
}

try {
  job = await readJob();
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort(new Error('terminated')));
  // a parent killed outright (SIGKILL) cannot stop this process: once orphaned, stop rather than keep
  // writing checkpoints into a partial directory that the stage's next owner resumes from
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 1000).unref();
  // extra cards: the items still to compute are shared with a process per card, each let go (told
  // to the executor) as its process ends
  const shards = job.shards?.length ? job.shards : null;
  const result = await executeStageJob(job, {
    progress: createProgress(job.stage),
    log: (line) => process.stderr.write(`${line}\n`),
    signal: controller.signal,
    ...(shards ? { chunks: shardedChunks(shards, job.stage, job.workers, (m) => process.send?.(m)) } : {}),
  });
  await reply({ ok: true, result });
  process.disconnect?.();
} catch (err) {
  await fail(err);
}
