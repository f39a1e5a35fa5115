// Entry of an isolated stage process: `node --import tsx child.ts`, the job on stdin, the reply on
// the IPC channel. Nothing goes through the disk between the two processes, so a stage that fails
// because the disk is full still reports why (one line, naming the path), and leaves no reply file.
// Tensor memory and native crashes stay in this process; the parent reports the stage as failed.
import { shardedChunks } from './gpu-shards.ts';
import { failOnce, readJobFromStdin, sendToParent, stopWithParent } from './child-channel.ts';
import type { ChildReply } from './isolated.ts';
import { createProgress } from './progress.ts';
import { failureLine } from './stage-failure.ts';
import { executeStageJob, type StageJob } from './stage-runner.ts';

let job: StageJob | undefined;

const { fail } = failOnce((err) => {
  const e = err as Error | undefined;
  const r: ChildReply = { ok: false, error: failureLine(err, job?.partialDir), name: e?.name ?? 'Error' };
  return sendToParent(r, `error: ${r.error}`);
});

try {
  job = await readJobFromStdin<StageJob>();
  const signal = stopWithParent();
  // extra cards: the items still to compute are shared with a process per card, each let go (told
  // to the executor) as its process ends
  const shards = job.shards?.length ? job.shards : null;
  const result = await executeStageJob(job, {
    progress: createProgress(job.stage),
    log: (line) => process.stderr.write(`${line}\n`),
    signal,
    ...(shards ? { chunks: shardedChunks(shards, job.stage, job.workers, (m) => process.send?.(m)) } : {}),
  });
  await sendToParent({ ok: true, result } satisfies ChildReply, 'done');
  process.disconnect?.();
} catch (err) {
  await fail(err);
}
