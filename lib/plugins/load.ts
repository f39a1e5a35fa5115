// Importing a plugin module named under `plugins:`, and its code identity. The plugins' state (which
// files this process was told about, which are imported) sits with the registries that read them
// (lib/registry/plugins.ts); importing this module installs it there as their loader, so every
// process that can meet a plugin's name imports it: the CLI through lib/dag, worker threads and
// isolated children through lib/exec/stage-work.ts. Announcing and loading are exported from here
// too, so a caller that announces plugins has the loader installed by the same import.
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../errors.ts';
import { installPluginLoader, type LoadedPlugin } from '../registry/plugins.ts';
import { codeHash } from '../contract/code-hash.ts';
import { ensureTypeScript } from '../contract/typescript.ts';
import type { PipelinePlugin } from './plugin.ts';

export { loadPlugins, PLUGINS_ENV, usePlugins } from '../registry/plugins.ts';

// the lists a plugin may export, each read by the registry of its kind (lib/saliency/registry.ts,
// lib/data/sources/registry.ts); a Record, so a list added to PipelinePlugin must be named here
const LISTS = Object.keys({ detectors: true, sources: true } satisfies Record<keyof PipelinePlugin, true>);

async function importPlugin(file: string): Promise<LoadedPlugin> {
  await ensureTypeScript();
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new InputError(`plugin ${file}: cannot load: ${(err as Error).message}`);
  }
  const p = mod.default;
  const lists: Record<string, readonly unknown[] | undefined> = {};
  for (const list of LISTS) {
    const value: unknown = p !== null && typeof p === 'object' ? Reflect.get(p, list) : null;
    if (value !== undefined && !Array.isArray(value)) {
      throw new InputError(`plugin ${file}: must default-export definePlugin({ ${LISTS.map((l) => `${l}?: [...]`).join(', ')} }) (lib/plugins/plugin.ts)`);
    }
    lists[list] = value;
  }
  return { file, lists };
}

/** the file and what it imports, as a stage's own module counts (lib/registry/plugins.ts pluginCode) */
function pluginCode(file: string): string {
  return codeHash(file, dirname(file));
}

installPluginLoader({ load: importPlugin, code: pluginCode });
