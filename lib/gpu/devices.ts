// The GPUs a run, a sweep or a worker may use (`--gpus auto|none|LIST`): the devices nvidia-smi
// lists, within CUDA_VISIBLE_DEVICES when it is set. Indices are nvidia-smi's (physical) ones: a
// stage process is then given exactly one of them as its CUDA_VISIBLE_DEVICES, which replaces the
// parent's, so the numbering of the parent's own mask never reaches it.
import { execFile } from 'node:child_process';
import { InputError } from '../errors.ts';

export interface GpuDevice {
  /** nvidia-smi's index, what CUDA_VISIBLE_DEVICES names */
  index: number;
  name: string;
  /** memory.total in MiB, when nvidia-smi said it */
  memoryMiB: number | null;
}

export type GpusFlag = { kind: 'auto' } | { kind: 'none' } | { kind: 'list'; indices: number[] };

/** `--gpus`'s value; undefined when absent. Throws one line on a bad value. */
export function parseGpusFlag(value: string | undefined, command: string): GpusFlag | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === 'auto' || v === 'none') return { kind: v };
  const parts = v.split(',').map((s) => s.trim());
  if (!parts.every((s) => /^\d{1,3}$/.test(s)))
    throw new InputError(`pipeline ${command}: --gpus takes auto, none, or GPU indices as nvidia-smi lists them (e.g. 0,1), got '${value}'`);
  const indices = parts.map(Number);
  if (new Set(indices).size !== indices.length) throw new InputError(`pipeline ${command}: --gpus names a GPU twice: '${value}'`);
  return { kind: 'list', indices };
}

/** `--gpu-share N`: stages that may hold one card at once (default 1). */
export function parseGpuShare(value: string | undefined, command: string): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InputError(`pipeline ${command}: --gpu-share must be a whole number from 1 to 64, got '${value}'`);
  return n;
}

/** One `index, name, memory.total` line of nvidia-smi's CSV (memory as "16384 MiB"); null if not one. */
export function parseDeviceLine(line: string): GpuDevice | null {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length < 2 || !/^\d+$/.test(cells[0])) return null;
  const mib = /^(\d+)\s*MiB$/i.exec(cells[2] ?? '');
  return { index: Number(cells[0]), name: cells[1], memoryMiB: mib ? Number(mib[1]) : null };
}

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total', '--format=csv,noheader'];

/**
 * The devices nvidia-smi lists, or why none can be listed: no nvidia-smi on PATH, or one that
 * fails (no driver loaded). Read from the command, not from CUDA: nothing is loaded here.
 */
export function listDevices(env: NodeJS.ProcessEnv = process.env): Promise<{ devices: GpuDevice[] } | { missing: string }> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', NVIDIA_SMI_ARGS, { env, timeout: 15_000, encoding: 'utf8' }, (err, stdout) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        resolve({ missing: code === 'ENOENT' ? 'no nvidia-smi on PATH' : `nvidia-smi failed (${err.message.split('\n')[0]})` });
        return;
      }
      resolve({ devices: stdout.split('\n').flatMap((l) => parseDeviceLine(l) ?? []) });
    });
  });
}

/**
 * The listed devices CUDA_VISIBLE_DEVICES lets this process use: all of them when it is unset; by
 * index when it names indices. A mask of UUIDs or MIG names is not read here: one line says so.
 */
export function withinVisible(devices: GpuDevice[], visible: string | undefined): GpuDevice[] {
  if (visible === undefined) return devices;
  const names = visible
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.some((s) => !/^-?\d+$/.test(s)))
    throw new InputError(`CUDA_VISIBLE_DEVICES='${visible}' names devices by UUID; give --gpus the indices nvidia-smi lists instead`);
  // CUDA stops at the first invalid entry (-1 hides every device)
  const shown: number[] = [];
  for (const s of names) {
    const i = Number(s);
    if (i < 0 || !devices.some((d) => d.index === i)) break;
    shown.push(i);
  }
  return shown.map((i) => devices.find((d) => d.index === i)!);
}
