// The plugins of the pipeline this process runs. Whoever reads a pipeline file announces its
// plugins (usePlugins); the registries import them when they first need a name they do not know
// (loadPlugins). The list travels in the environment, so worker threads and child processes of the
// run see the same plugins: what a worker imports is what its own process's pipeline file named,
// never anything a job carries.
import { pathToFileURL } from 'node:url';
import { dirname } from 'node:path';
import { InputError } from '../errors.ts';
import { codeHash } from '../contract/code-hash.ts';
import { ensureTypeScript } from '../contract/typescript.ts';
import type { PipelinePlugin } from './plugin.ts';

export const PLUGINS_ENV = 'DCSP_PLUGINS';

export interface LoadedPlugin {
  /** absolute path of the module */
  file: string;
  plugin: PipelinePlugin;
}

// Kept on globalThis, once per thread: the CLI runs from its bundle (bin/pipeline.mjs) while stage
// modules load lib/ from the sources, so two copies of this module meet in one process and must
// see the same plugins.
interface PluginState {
  loaded: Map<string, Promise<LoadedPlugin>>;
  ready: Map<string, LoadedPlugin>;
}
const STATE = Symbol.for('dcsp-pipeline.plugins');
const state = ((globalThis as Record<symbol, PluginState | undefined>)[STATE] ??= { loaded: new Map(), ready: new Map() });
const { loaded, ready } = state;

/** Make `files` (absolute, checked by files.ts) the plugins of this process and its workers. */
export function usePlugins(files: readonly string[]): void {
  if (files.length) process.env[PLUGINS_ENV] = JSON.stringify(files);
  else delete process.env[PLUGINS_ENV];
}

/** The plugin files this process was told about. */
export function announcedPlugins(): string[] {
  const raw = process.env[PLUGINS_ENV];
  if (!raw) return [];
  const list: unknown = JSON.parse(raw);
  if (!Array.isArray(list) || !list.every((f): f is string => typeof f === 'string')) throw new Error(`${PLUGINS_ENV} must be a JSON list of module paths`);
  return list;
}

async function importPlugin(file: string): Promise<LoadedPlugin> {
  await ensureTypeScript();
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new InputError(`plugin ${file}: cannot load: ${(err as Error).message}`);
  }
  const p = mod.default;
  const isList = (v: unknown): boolean => v === undefined || Array.isArray(v);
  if (!p || typeof p !== 'object' || !isList((p as PipelinePlugin).detectors) || !isList((p as PipelinePlugin).sources)) {
    throw new InputError(`plugin ${file}: must default-export definePlugin({ detectors?: [...], sources?: [...] }) (lib/plugins/plugin.ts)`);
  }
  return { file, plugin: p as PipelinePlugin };
}

/** Import every announced plugin not imported yet; afterwards loadedPlugins() lists them all. */
export async function loadPlugins(): Promise<void> {
  for (const file of announcedPlugins()) {
    let p = loaded.get(file);
    if (!p) {
      p = importPlugin(file);
      loaded.set(file, p);
      p.catch(() => loaded.delete(file));
    }
    ready.set(file, await p);
  }
}

/** The announced plugins already imported, in the pipeline file's order. */
export function loadedPlugins(): LoadedPlugin[] {
  return announcedPlugins().flatMap((f) => (ready.has(f) ? [ready.get(f)!] : []));
}

/**
 * A plugin's code identity (lib/contract/code-hash.ts: the file and what it imports): a stage that
 * runs an entry of the plugin carries it in its key, as it carries its own module's.
 */
export function pluginCode(file: string): string {
  return codeHash(file, dirname(file));
}
