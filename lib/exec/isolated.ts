// An isolated stage runs in a child process (lib/exec/child.ts): its tensor memory and a native
// crash stay there, and the caller's event loop stays free to renew locks and queue jobs.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StageFailedError } from '../errors.ts';
import { libFile, TSX_LOADER } from '../paths.ts';
import { StageNotImplementedError } from '../stage/stage.ts';
import { PROGRESS_PIPE_ENV, relayChildLine } from './progress.ts';
import type { StageJob, StageJobResult } from './stage-runner.ts';

const CHILD = libFile('exec/child.ts');

export async function runIsolated(job: StageJob): Promise<StageJobResult> {
  await mkdir(job.partialDir, { recursive: true });
  const jobFile = join(job.partialDir, 'job.json');
  const resultFile = join(job.partialDir, 'result.json');
  await writeFile(jobFile, JSON.stringify(job));
  await rm(resultFile, { force: true });
  // imported here: the cached path of a run never needs it, and it is slow to load
  const { execa } = await import('execa');
  // on a TTY the child's bar joins this process's status line, and its log lines print above it
  const relay = Boolean(process.stderr.isTTY);
  const run = execa(process.execPath, ['--import', TSX_LOADER, CHILD, jobFile, resultFile], {
    stdio: ['ignore', 'inherit', relay ? 'pipe' : 'inherit'],
    env: relay ? { [PROGRESS_PIPE_ENV]: '1' } : {},
    reject: false,
    buffer: false,
  });
  if (relay && run.stderr) {
    const { createInterface } = await import('node:readline');
    createInterface({ input: run.stderr }).on('line', (line) => relayChildLine(job.stage, line));
  }
  const child = await run;
  if (relay) relayChildLine(job.stage, null);
  type Reply = { ok: boolean; result?: StageJobResult; error?: string; name?: string };
  const reply = await readFile(resultFile, 'utf8')
    .then((t) => JSON.parse(t) as Reply)
    .catch((): Reply | null => null);
  if (reply?.ok && reply.result) return reply.result;
  if (reply?.name === 'StageNotImplementedError') throw new StageNotImplementedError(job.stage);
  const why = reply?.error ?? (child.signal ? `child process killed by ${child.signal}` : `child process exited with code ${child.exitCode}`);
  throw new StageFailedError(job.stage, why);
}
