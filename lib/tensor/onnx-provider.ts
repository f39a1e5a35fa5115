// The execution provider onnxruntime runs the onnx-based saliency detectors (isnet, onnx) with: its
// CPU provider, or its CUDA provider when the run computes on GPUs (backend tfjs-node-gpu) and
// onnxruntime-node's CUDA provider library is installed. The two providers round differently, so a
// stage run on CUDA carries the provider in its key (lib/contract/key.ts), and the choice is made
// from what every command of this machine reads alike (the backend setting, a file present or not),
// never from which card happens to be free. Light: nothing of onnxruntime is loaded here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type OnnxProvider = 'cuda' | 'cpu';

/** `cpu` or `cuda` to choose the provider; unset or `auto`: CUDA on tfjs-node-gpu when installed */
export const ONNX_PROVIDER_ENV = 'DCSP_ONNX_PROVIDER';

const CUDA_LIBRARY = 'libonnxruntime_providers_cuda.so';
/** onnxruntime-node's own install script, asked for its CUDA 12 provider (it needs the network) */
export const INSTALL_CUDA = 'node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12';

/**
 * Where onnxruntime-node loads its CUDA provider from (beside its binding, napi-v6/linux/x64), or
 * null where it ships none (other platforms). Its install script fetches the library on Linux x64
 * (INSTALL_CUDA); package.json's allowScripts keeps npm from running it at install.
 */
export function onnxCudaLibrary(platform: string = process.platform, arch: string = process.arch): string | null {
  if (platform !== 'linux' || arch !== 'x64') return null;
  let pkg: string;
  try {
    pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  } catch {
    return null;
  }
  return join(pkg, 'bin', 'napi-v6', 'linux', 'x64', CUDA_LIBRARY);
}

export interface OnnxProviderChoice {
  provider: OnnxProvider;
  /** why, in a few words, for the line a run prints */
  why: string;
}

/**
 * The provider this machine's onnx detectors run with under backend `backend`. Throws one line for
 * a value of DCSP_ONNX_PROVIDER it does not know, or `cuda` asked where the library is missing.
 */
export function readOnnxProvider(backend: string, env: NodeJS.ProcessEnv = process.env, library: string | null = onnxCudaLibrary()): OnnxProviderChoice {
  const asked = env[ONNX_PROVIDER_ENV] ?? 'auto';
  const present = library !== null && existsSync(library);
  if (asked === 'cpu') return { provider: 'cpu', why: `${ONNX_PROVIDER_ENV}=cpu` };
  if (asked === 'cuda') {
    if (!present)
      throw new Error(
        `${ONNX_PROVIDER_ENV}=cuda, but onnxruntime's CUDA provider is not installed (${library ?? `none for ${process.platform}/${process.arch}`})`,
      );
    return { provider: 'cuda', why: `${ONNX_PROVIDER_ENV}=cuda` };
  }
  if (asked !== 'auto') throw new Error(`${ONNX_PROVIDER_ENV} must be auto, cpu or cuda, got '${asked}'`);
  if (backend !== 'tfjs-node-gpu') return { provider: 'cpu', why: `backend ${backend} computes on no GPU` };
  if (!present)
    return {
      provider: 'cpu',
      why: library
        ? `onnxruntime's CUDA provider is not installed: no ${library}; \`${INSTALL_CUDA}\` fetches it`
        : `onnxruntime-node has no CUDA provider for ${process.platform}/${process.arch}`,
    };
  return { provider: 'cuda', why: `backend tfjs-node-gpu and ${library}` };
}

// this thread's provider: each worker thread sets it from its task, the key's word
let inUse: OnnxProvider = 'cpu';

/** Run this thread's onnx sessions on `provider` (the stage key's); `cuda` where it is missing is an error naming the file. */
export function useOnnxProvider(provider: OnnxProvider, library: string | null = onnxCudaLibrary()): void {
  if (provider === 'cuda' && (library === null || !existsSync(library)))
    throw new Error(
      `the stage's key names onnxruntime's CUDA provider, which is not installed here (${library ?? `none for ${process.platform}/${process.arch}`})`,
    );
  inUse = provider;
}

/** The execution providers a session is created with: CUDA first (ops it lacks fall back to the CPU), or the CPU alone. */
export function onnxExecutionProviders(): OnnxProvider[] {
  return inUse === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
}
