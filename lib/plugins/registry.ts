// A list of named things (detectors, dataset sources): the built-in ones, then those the loaded
// plugins add, each known with the plugin file it came from (for its code identity). One name, one
// entry: a plugin that reuses a name is an error naming both.
import type { PipelinePlugin } from './plugin.ts';
import { loadedPlugins, loadPlugins, pluginCode } from './load.ts';

export interface Named {
  readonly name: string;
}

export class Registry<T extends Named> {
  constructor(
    /** what the entries are, for messages: 'detector', 'dataset source' */
    private readonly what: string,
    private readonly builtIn: readonly T[],
    private readonly fromPlugin: (p: PipelinePlugin) => readonly T[] | undefined,
  ) {}

  /** built-ins first, then each loaded plugin's, in the pipeline file's order */
  private entries(): { entry: T; file?: string }[] {
    const out: { entry: T; file?: string }[] = this.builtIn.map((entry) => ({ entry }));
    for (const { file, plugin } of loadedPlugins()) {
      for (const entry of this.fromPlugin(plugin) ?? []) {
        const clash = out.find((r) => r.entry.name === entry.name);
        if (clash) throw new Error(`plugin ${file}: ${this.what} '${entry.name}' is already defined${clash.file ? ` by ${clash.file}` : ' (built in)'}`);
        out.push({ entry, file });
      }
    }
    return out;
  }

  names(): string[] {
    return this.entries().map((r) => r.entry.name);
  }

  /** among those loaded (sync: for param parsing, which runs after the plugins are loaded) */
  find(name: string): T | undefined {
    return this.entries().find((r) => r.entry.name === name)?.entry;
  }

  /** every entry, as --help lists it */
  all(): T[] {
    return this.entries().map((r) => r.entry);
  }

  isBuiltIn(name: string): boolean {
    return this.builtIn.some((e) => e.name === name);
  }

  unknown(name: string): string {
    return `unknown ${this.what} '${name}' (${this.what}s: ${this.names().join(', ')})`;
  }

  /** importing the announced plugins first when the name is not known yet (a fresh worker thread) */
  async named(name: string): Promise<T> {
    if (!this.find(name)) await loadPlugins();
    const e = this.find(name);
    if (!e) throw new Error(this.unknown(name));
    return e;
  }

  /** a plugin's entry: the code identity of its file (and what it imports); a built-in: undefined */
  code(name: string): string | undefined {
    const file = this.entries().find((r) => r.entry.name === name)?.file;
    return file === undefined ? undefined : pluginCode(file);
  }
}
