// Which TensorFlow wheel serves which tfjs binding, and getting it with pip (from whatever index
// pip is configured for: PyPI, or a local mirror).

import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type NativeVariant = 'cpu' | 'gpu';

/** The tfjs package each variant builds, pinned to the version the binding sources match. */
export const TFJS_NODE_VERSION = '4.22.0';
export const BINDING_PACKAGE: Readonly<Record<NativeVariant, string>> = {
  cpu: '@tensorflow/tfjs-node',
  gpu: '@tensorflow/tfjs-node-gpu',
};

/** Default TensorFlow release: the newest one checked with this project. */
export const DEFAULT_TF_VERSION = '2.21.0';

/**
 * The pip distribution for a variant. On Linux x86_64 the plain `tensorflow` wheel is the CUDA
 * build (its CUDA/cuDNN libraries are the separate nvidia-* wheels of `tensorflow[and-cuda]`);
 * `tensorflow-cpu` has the same C API without CUDA and is a third smaller.
 */
export function wheelDistribution(variant: NativeVariant): string {
  return variant === 'cpu' ? 'tensorflow-cpu' : 'tensorflow';
}

/** The file-name prefix of that distribution's wheels at a version (PEP 427 normalises '-' to '_'). */
export function wheelPrefix(variant: NativeVariant, version: string): string {
  return `${wheelDistribution(variant).replace(/-/g, '_')}-${version}-`;
}

export async function findWheel(dir: string, variant: NativeVariant, version: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const hit = names.filter((n) => n.startsWith(wheelPrefix(variant, version)) && n.endsWith('.whl')).sort()[0];
  return hit === undefined ? undefined : path.join(dir, hit);
}

/** pip could not get the wheel (offline, no such version): the one failure CI reports and skips. */
export class WheelUnavailableError extends Error {}

/**
 * The wheel in `dir`, downloaded there by `python -m pip download` first if absent. Throws one line
 * naming the requirement when pip cannot get it.
 */
export async function obtainWheel(
  dir: string,
  variant: NativeVariant,
  version: string,
  python = 'python3',
  log: (l: string) => void = () => {},
): Promise<string> {
  const have = await findWheel(dir, variant, version);
  if (have !== undefined) return have;
  const requirement = `${wheelDistribution(variant)}==${version}`;
  log(`tfjs-native: pip download ${requirement} -> ${dir}`);
  try {
    await run(python, ['-m', 'pip', 'download', requirement, '--no-deps', '--only-binary=:all:', '--retries', '1', '--timeout', '20', '-d', dir], {
      maxBuffer: 1 << 24,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const last =
      (e.stderr ?? e.message)
        .trim()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .at(-1) ?? e.message;
    throw new WheelUnavailableError(`cannot get the wheel ${requirement} with ${python} -m pip: ${last.trim()}`);
  }
  const got = await findWheel(dir, variant, version);
  if (got === undefined) throw new Error(`pip reported success but no ${wheelPrefix(variant, version)}*.whl is in ${dir}`);
  return got;
}
