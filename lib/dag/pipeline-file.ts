// pipeline.yaml: syntax and shape, and where each stage's module is. Semantic checks (slots match,
// params valid, no cycles) live in resolve.ts once the stage modules are imported.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { pluginFiles, PluginFileError } from '../plugins/files.ts';
import { loadPlugins, usePlugins } from '../plugins/load.ts';
import type { StageDefinition } from '../contract/stage.ts';
import { ensureTypeScript } from '../contract/typescript.ts';
import { OWN_FOLDERS, STAGE_NAME } from '../store/store.ts';
import { YamlSource } from './yaml-source.ts';
import { describeIssue, dotted } from './zod-issues.ts';

const Params = z.record(z.string(), z.unknown());

export const StageEntrySchema = z.strictObject({
  module: z.string().optional(),
  description: z.string().optional(),
  inputs: z.record(z.string(), z.string()).default({}),
  params: Params.default({}),
  isolate: z.boolean().optional(),
  /** run only when a stage in the run reads it (e.g. saliency-train, read only by a dhsnet detector) */
  on_demand: z.boolean().optional(),
  /**
   * params taken from other stages' resolved params (profile and --set included), under this
   * stage's own layers: `{ eval: [scales, crf] }`; `train+retrain: [iterations]` sums the two.
   * So a comparison stage (eval-oracle, eval-direct) cannot drift from what it is compared with.
   */
  follows: z.record(z.string(), z.array(z.string()).min(1)).optional(),
});

export const ProfileSchema = z.strictObject({
  description: z.string().optional(),
  extends: z.string().optional(),
  params: z.record(z.string(), Params).default({}),
});

export const PipelineFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  default_profile: z.string().optional(),
  stages: z.record(
    z.string(),
    StageEntrySchema.nullable().transform((s) => s ?? StageEntrySchema.parse({})),
  ),
  profiles: z.record(z.string(), ProfileSchema).default({}),
  /** modules inside the project adding detectors and dataset sources (lib/plugins) */
  plugins: z.array(z.string()).default([]),
});

export type StageEntry = z.infer<typeof StageEntrySchema>;
export type ProfileEntry = z.infer<typeof ProfileSchema>;
export type PipelineFile = z.infer<typeof PipelineFileSchema>;

export interface PipelineSource {
  /** the file, absolute */
  path: string;
  /** the file as messages name it (relative to the working directory) */
  shown: string;
  /** its folder: stage modules are relative to it */
  root: string;
  src: YamlSource;
  spec: PipelineFile;
  /** its `plugins:`, absolute; announced to this process and its workers (lib/plugins/load.ts) */
  plugins: string[];
}

/** A pipeline file read and checked for syntax and shape; each problem one InputError at file:line:col. */
export function readPipelineFile(file: string): PipelineSource {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`pipeline file ${file} not found`);
  }
  const shown = relative(process.cwd(), path) || path;
  const src = YamlSource.parse(shown, text);
  const raw = src.toJS() ?? {};
  const parsed = PipelineFileSchema.safeParse(raw);
  if (!parsed.success) {
    const { path: p, message } = describeIssue(parsed.error.issues[0], raw);
    throw new InputError(`${src.where(p)}: ${dotted(p)}: ${message}`);
  }
  const root = dirname(path);
  let plugins: string[];
  try {
    plugins = pluginFiles(parsed.data.plugins, root, (i) => src.where(['plugins', i]));
  } catch (err) {
    if (err instanceof PluginFileError) throw new InputError(err.message);
    throw err;
  }
  usePlugins(plugins);
  return { path, shown, root, src, spec: parsed.data, plugins };
}

export interface StageModule {
  /** absolute path */
  module: string;
  /** file:line:col of the stage (or of its `module:`) */
  where: string;
  /** the YAML names the module, so the stage may be another instance of it (cues-oracle = cues with other params) */
  explicit: boolean;
}

/**
 * Each stage's module: its `module:` or stages/<name>.ts, relative to the pipeline's folder. Stage
 * names are checked (a name is never a path, nor one of the cache's own folders) and every module
 * must exist; nothing is imported.
 */
export function stageModules(p: Pick<PipelineSource, 'src' | 'spec' | 'root'>): Map<string, StageModule> {
  const { src, spec, root } = p;
  const names = Object.keys(spec.stages);
  if (names.length === 0) throw new InputError(`${src.where(['stages'])}: no stages declared`);
  const out = new Map<string, StageModule>();
  for (const name of names) {
    if (!STAGE_NAME.test(name)) throw new InputError(`${src.where(['stages', name])}: stage name '${name}' must match ${STAGE_NAME}`);
    if (OWN_FOLDERS.has(name)) throw new InputError(`${src.where(['stages', name])}: '${name}' is reserved for the cache's own folders`);
  }
  for (const name of names) {
    const entry = spec.stages[name];
    const module = resolve(root, entry.module ?? `stages/${name}.ts`);
    const where = src.where(['stages', name, ...(entry.module ? ['module'] : [])], !entry.module);
    if (!existsSync(module)) throw new InputError(`${where}: stage ${name}: module ${relative(root, module)} does not exist`);
    out.set(name, { module, where, explicit: Boolean(entry.module) });
  }
  return out;
}

const defCache = new Map<string, Promise<StageDefinition<Record<string, unknown>>>>();

/**
 * The stage a module default-exports, imported once per process (the CLI's resolution and a
 * worker's registry share it). `explicit`: the YAML names the module, so the stage may be another
 * instance of it (cues-oracle = cues with other params).
 */
export async function importStage(module: string, where: string, name: string, explicit: boolean): Promise<StageDefinition<Record<string, unknown>>> {
  let p = defCache.get(module);
  // a stage's params may name what the plugins add (a detector): they are imported first
  await loadPlugins();
  if (!p) {
    await ensureTypeScript();
    p = import(pathToFileURL(module).href).then((m: { default?: unknown }) => m.default as StageDefinition<Record<string, unknown>>);
    defCache.set(module, p);
  }
  let def: StageDefinition<Record<string, unknown>> | undefined;
  try {
    def = await p;
  } catch (err) {
    defCache.delete(module);
    throw new InputError(`${where}: stage ${name}: cannot load ${module}: ${(err as Error).message}`);
  }
  if (!def || typeof def !== 'object' || typeof def.version !== 'number' || !def.params) {
    throw new InputError(`${where}: stage ${name}: ${module} does not default-export defineStage({...})`);
  }
  if (def.name !== name && !explicit) throw new InputError(`${where}: stage ${name}: its module defines stage '${def.name}'`);
  return def;
}
