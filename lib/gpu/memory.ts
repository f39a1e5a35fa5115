// The card memory one process holds, as nvidia-smi lists its compute processes. TensorFlow with
// allow-growth takes memory as it needs it and never gives it back, so read after a computation
// this is what the computation reserved at its peak (TensorFlow's allocator's, not the tensors'
// bytes). nvidia-smi reports the host's pids: in a container with a PID namespace of its own no
// line has this process's pid, and the memory is then unknown, never guessed.
import { execFile } from 'node:child_process';

/** One compute process nvidia-smi lists: its pid and used memory in MiB (null: it says "[N/A]"). */
export interface ComputeApp {
  pid: number;
  usedMiB: number | null;
}

export const COMPUTE_APPS_ARGS = ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'];

/**
 * nvidia-smi's `pid, used_memory` lines (no header, no units). Lines that are not one ("No running
 * processes found", blank lines) are skipped; a used memory it cannot read ("[N/A]") is null.
 */
export function parseComputeApps(stdout: string): ComputeApp[] {
  return stdout.split('\n').flatMap((line) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 2 || !/^\d+$/.test(cells[0])) return [];
    const used = /^\d+$/.test(cells[1]) ? Number(cells[1]) : null;
    return [{ pid: Number(cells[0]), usedMiB: used }];
  });
}

/** A process's card memory, or why it is not known. */
export type ProcessMemory = { mib: number } | { mib: null; why: string };

/**
 * What `pid` holds among `apps`: its lines summed (a process sees one card here, so one line; a
 * process on several cards would hold their sum), or why there is no figure.
 */
export function memoryOf(apps: readonly ComputeApp[], pid: number): ProcessMemory {
  const mine = apps.filter((a) => a.pid === pid);
  if (!mine.length)
    return {
      mib: null,
      why: `nvidia-smi lists no compute process with pid ${pid} (${apps.length} listed; a container's own PID namespace hides the host's pids)`,
    };
  if (mine.some((a) => a.usedMiB === null)) return { mib: null, why: `nvidia-smi reports pid ${pid}'s used memory as not available ([N/A])` };
  return { mib: mine.reduce((s, a) => s + (a.usedMiB ?? 0), 0) };
}

/** The card memory `pid` (default this process) holds now, asked of nvidia-smi. */
export function processMemory(pid: number = process.pid, env: NodeJS.ProcessEnv = process.env): Promise<ProcessMemory> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', COMPUTE_APPS_ARGS, { env, timeout: 15_000, encoding: 'utf8' }, (err, stdout) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        resolve({ mib: null, why: code === 'ENOENT' ? 'no nvidia-smi on PATH' : `nvidia-smi failed (${err.message.split('\n')[0]})` });
        return;
      }
      resolve(memoryOf(parseComputeApps(stdout), pid));
    });
  });
}
