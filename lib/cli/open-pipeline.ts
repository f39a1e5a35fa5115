// The pipeline file and cache a command works on (--pipeline, --cache, their environment variables,
// their defaults), loaded and validated before anything touches the cache.
import { dirname, join, resolve } from 'node:path';
import { loadPipeline, type Pipeline } from '../dag/load.ts';
import { Store } from '../store/store.ts';
import { prepareCacheDir } from './cache-dir.ts';
import type { CommonValues } from './command.ts';

/** The pipeline file and cache directory a command works on. */
export function locate(values: Pick<CommonValues, 'pipeline' | 'cache'>): { file: string; cache: string } {
  const file = values.pipeline ?? process.env.DCSP_PIPELINE ?? 'pipeline.yaml';
  return { file, cache: resolve(values.cache ?? process.env.DCSP_CACHE ?? join(dirname(resolve(file)), 'cache')) };
}

export interface OpenOptions {
  /** on-demand stages the command names (--until, --force), which join the run */
  demand?: string[];
  /** the command writes into the cache, which must then be a writable directory (checked first) */
  write?: boolean;
  /** --set overrides after the command line's (a command's shorthand options) */
  set?: string[];
}

export async function openPipeline(values: CommonValues, opts: OpenOptions = {}): Promise<{ p: Pipeline; store: Store }> {
  const { file, cache } = locate(values);
  // loading validates everything before it writes its memo (and only into a cache that exists)
  const set = [...(values.set ?? []), ...(opts.set ?? [])];
  const p = await loadPipeline(file, { profile: values.profile, set, cacheDir: cache, demand: opts.demand ?? [] });
  if (opts.write) prepareCacheDir(cache);
  return { p, store: new Store(cache) };
}
