// The plugins of the pipeline this process runs: which ones it was told about, which it has
// imported, and the loader that imports them. Whoever reads a pipeline file announces its plugins
// (usePlugins); the registries import them when they first need a name they do not know
// (loadPlugins). The list travels in the environment, so worker threads and child processes of the
// run see the same plugins: what a worker imports is what its own process's pipeline file named,
// never anything a job carries.
//
// Importing a module needs the TypeScript loader and a plugin's identity needs the stages' code
// hash, both far above the registries that ask for them; so the loader (lib/plugins/load.ts)
// installs itself here when imported, and this folder imports nothing of theirs.

export const PLUGINS_ENV = 'DCSP_PLUGINS';

/** A plugin module as imported: its lists of entries by kind ('detectors', 'sources'), not yet checked. */
export interface LoadedPlugin {
  /** absolute path of the module */
  file: string;
  lists: Readonly<Record<string, readonly unknown[] | undefined>>;
}

/** What lib/plugins/load.ts puts in: how to import one plugin file, and its code identity. */
export interface PluginLoader {
  load(file: string): Promise<LoadedPlugin>;
  code(file: string): string;
}

// Kept on globalThis, once per thread: the CLI runs from its bundle (bin/pipeline.mjs) while stage
// modules load lib/ from the sources, so two copies of this module meet in one process and must
// see the same plugins and the same loader.
interface PluginState {
  loaded: Map<string, Promise<LoadedPlugin>>;
  ready: Map<string, LoadedPlugin>;
  loader?: PluginLoader;
}
const STATE = Symbol.for('dcsp-pipeline.plugins');
const shared = globalThis as Record<symbol, PluginState | undefined>;
shared[STATE] ??= { loaded: new Map(), ready: new Map() };
const state: PluginState = shared[STATE];

/** Called by lib/plugins/load.ts when it is imported. */
export function installPluginLoader(loader: PluginLoader): void {
  state.loader = loader;
}

function loader(): PluginLoader {
  // a process that can meet a plugin's name imports lib/plugins/load.ts (dag, exec's stage-work)
  if (!state.loader) throw new Error(`this process was given plugins (${PLUGINS_ENV}) but never imported their loader, lib/plugins/load.ts`);
  return state.loader;
}

/** Make `files` (absolute, checked by lib/plugins/files.ts) the plugins of this process and its workers. */
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

/** Import every announced plugin not imported yet; afterwards loadedPlugins() lists them all. */
export async function loadPlugins(): Promise<void> {
  for (const file of announcedPlugins()) {
    let p = state.loaded.get(file);
    if (!p) {
      p = loader().load(file);
      state.loaded.set(file, p);
      p.catch(() => state.loaded.delete(file));
    }
    state.ready.set(file, await p);
  }
}

/** The announced plugins already imported, in the pipeline file's order. */
export function loadedPlugins(): LoadedPlugin[] {
  return announcedPlugins().flatMap((f) => {
    const p = state.ready.get(f);
    return p ? [p] : [];
  });
}

/**
 * A plugin's code identity (lib/contract/code-hash.ts: the file and what it imports): a stage that
 * runs an entry of the plugin carries it in its key, as it carries its own module's.
 */
export function pluginCode(file: string): string {
  return loader().code(file);
}
