// Entry of an isolated stage process: `node --import tsx child.ts <job.json> <result.json>`.
// Tensor memory and native crashes stay in this process; the parent reports the stage as failed.
import { readFile, writeFile } from 'node:fs/promises';
import { createProgress } from './progress.ts';
import { executeStageJob, type StageJob } from './stage-runner.ts';

const [jobFile, resultFile] = process.argv.slice(2);
const job = JSON.parse(await readFile(jobFile, 'utf8')) as StageJob;
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort(new Error('terminated')));
// a parent killed outright (SIGKILL) cannot stop this process: once orphaned, stop rather than keep
// writing checkpoints into a partial directory that the stage's next owner resumes from
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1000).unref();
try {
  const result = await executeStageJob(job, {
    progress: createProgress(job.stage),
    log: (line) => process.stderr.write(`${line}\n`),
    signal: controller.signal,
  });
  await writeFile(resultFile, JSON.stringify({ ok: true, result }));
} catch (err) {
  const e = err as Error;
  await writeFile(resultFile, JSON.stringify({ ok: false, error: e.message, name: e.name, stack: e.stack }));
  process.exitCode = 1;
}
