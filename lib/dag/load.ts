// Loading a pipeline. Resolution (importing every stage, zod-parsing every profile) costs more
// than a whole cached run, so its result is memoised on disk, keyed by the pipeline file's bytes,
// the profile and overrides, and the code of the resolver and of every stage module (with what
// they import). Any edit to those resolves afresh, with full validation.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import type { DirectedGraph } from 'graphology';
import { InputError } from '../errors.ts';
import { usePlugins } from '../plugins/load.ts';
import { codeHash } from '../contract/code-hash.ts';
import { canonicalJson } from '../store/canonical-json.ts';
import { libFile } from '../paths.ts';
import { sha256 } from '../store/hash.ts';
import { replaceFile } from '../store/whole-file.ts';
import { readNumericsSetting, type NumericsSetting } from '../tensor/numerics.ts';
import { ancestorsOf, buildGraph, descendantsOf } from './graph.ts';
import type { LoadOptions, Resolution, ResolvedStage } from './resolve.ts';

export type { IdleStage, LoadOptions, ResolvedStage } from './resolve.ts';

export interface Pipeline extends Omit<Resolution, 'stages'> {
  stages: Map<string, ResolvedStage>;
  order: string[];
  graph: DirectedGraph;
  /** what this machine's tensor stages compute with (read afresh by every process, never memoised) */
  numerics: NumericsSetting;
  ancestors(stage: string): Set<string>;
  descendants(stage: string): Set<string>;
}

interface CachedResolution {
  modules: { module: string; codeHash: string }[];
  resolution: Resolution;
}

const RESOLVER = libFile('dag/resolve.ts');

export async function loadPipeline(file: string, opts: LoadOptions & { cacheDir?: string } = {}): Promise<Pipeline> {
  const path = resolvePath(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`pipeline file ${file} not found`);
  }
  const root = resolvePath(path, '..');
  const memo = opts.cacheDir
    ? join(
        opts.cacheDir,
        '.resolved',
        `${sha256('resolution/1', path, text, opts.profile ?? '', canonicalJson(opts.set ?? []), canonicalJson((opts.overrides ?? []).map((o) => o.raw)), canonicalJson(opts.demand ?? []), codeHash(RESOLVER, root))}.json`,
      )
    : null;
  let resolution: Resolution | null = null;
  if (memo) {
    const cached = await readFile(memo, 'utf8')
      .then((t) => JSON.parse(t) as CachedResolution)
      .catch(() => null);
    if (cached?.modules.every((m) => safeCodeHash(m.module, root) === m.codeHash)) resolution = cached.resolution;
    // what reading the file would have done: its plugins become this process's (lib/plugins/load.ts)
    if (resolution) usePlugins(resolution.plugins);
  }
  if (!resolution) {
    const { resolvePipeline } = await import('./resolve.ts');
    resolution = await resolvePipeline(file, opts);
    const known = new Set(resolution.stages.map((s) => s.name));
    const unknown = (opts.demand ?? []).find((d) => !known.has(d));
    if (unknown !== undefined) throw new InputError(`unknown stage '${unknown}' (stages: ${resolution.stages.map((s) => s.name).join(', ')})`);
    // only a cache that exists and can be written gets the memo: it saves time, nothing more
    // A dataset keyed on files outside the cache (a folder source's `sourceState`, read when the
    // params are parsed) must be parsed again at every start: the memo's check sees only code.
    const readsOutside = resolution.stages.some((s) => s.params.sourceState !== undefined);
    if (memo && existsSync(opts.cacheDir!) && !readsOutside) {
      // a plugin's edit may add or drop a name the params use: it invalidates the memo as a stage's does
      const modules = [...resolution.stages.map((s) => s.module), ...resolution.plugins];
      const entry: CachedResolution = { modules: modules.map((module) => ({ module, codeHash: codeHash(module, root) })), resolution };
      try {
        await mkdir(join(memo, '..'), { recursive: true });
        await replaceFile(memo, JSON.stringify(entry));
      } catch {
        // without the memo the next command resolves the file again
      }
    }
  }
  return toPipeline(resolution);
}

/** Every profile of the file as a pipeline (no overrides), parsed and validated once. */
export async function loadAllProfiles(file: string): Promise<Pipeline[]> {
  const { resolveAllProfiles } = await import('./resolve.ts');
  return (await resolveAllProfiles(file)).map(toPipeline);
}

function safeCodeHash(module: string, root: string): string | null {
  try {
    return codeHash(module, root);
  } catch {
    return null;
  }
}

function toPipeline(r: Resolution): Pipeline {
  const graph = buildGraph(
    r.stages.map((s) => s.name),
    r.stages.flatMap((s) => Object.entries(s.inputs).map(([slot, up]) => ({ from: up, to: s.name, slot }))),
  );
  let numerics: NumericsSetting;
  try {
    numerics = readNumericsSetting().setting;
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  return {
    ...r,
    numerics,
    stages: new Map(r.stages.map((s) => [s.name, s])),
    order: r.stages.map((s) => s.name),
    graph,
    ancestors: (s) => ancestorsOf(graph, s),
    descendants: (s) => descendantsOf(graph, s),
  };
}
