// A list of named things (detectors, dataset sources): the built-in ones, then those the loaded
// plugins add, each known with the plugin file it came from (for its code identity). One name, one
// entry: a plugin that reuses a name is an error naming both. A plugin is the project's own code,
// typed only if its author used definePlugin, so each of its entries is checked against the kind's
// shape before the registry hands it out as one.
import { InputError } from '../errors.ts';
import { loadedPlugins, loadPlugins, pluginCode } from './plugins.ts';

export interface Named {
  readonly name: string;
}

/** What a registry holds, as far as a plugin's entries are checked. */
export interface EntryKind<T extends Named> {
  /** what an entry is, for messages: 'detector', 'dataset source' */
  what: string;
  /** the list of a plugin module's default export that holds them: 'detectors' */
  list: string;
  /**
   * The fields of a T, each of the kind it must be (a `?` after it: only when present). What can
   * be checked at run time: a schema's own type, or a function's signature, cannot.
   */
  shape: EntryShape<T>;
}

type Field = 'string' | 'boolean' | 'function' | 'schema';
type Want = Field | `${Field}?`;
/** one entry per field of T, so a field added to T is a field to check here too */
export type EntryShape<T> = { readonly [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? `${Field}?` : Field };

const fieldIs: Record<Field, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string' && v !== '',
  boolean: (v) => typeof v === 'boolean',
  function: (v) => typeof v === 'function',
  // a zod schema, as far as the registries use one
  schema: (v) => typeof v === 'object' && v !== null && typeof Reflect.get(v, 'safeParse') === 'function',
};
const isField = (s: string): s is Field => Object.hasOwn(fieldIs, s);
const fieldWords: Record<Field, string> = { string: 'a non-empty string', boolean: 'true or false', function: 'a function', schema: 'a zod schema' };

/** What is wrong with a plugin's entry, or null when it has the shape. */
export function shapeProblem(entry: unknown, shape: Readonly<Record<string, Want>>): string | null {
  if (typeof entry !== 'object' || entry === null) return 'it is not an object';
  for (const [key, want] of Object.entries(shape)) {
    const field = want.replace(/\?$/, '');
    if (!isField(field)) throw new Error(`no such field kind '${want}'`);
    const value: unknown = Reflect.get(entry, key);
    if (value === undefined && want.endsWith('?')) continue;
    if (!fieldIs[field](value)) return `${key} must be ${fieldWords[field]}`;
  }
  return null;
}

export class Registry<T extends Named> {
  constructor(
    private readonly kind: EntryKind<T>,
    private readonly builtIn: readonly T[],
  ) {}

  private checked(entry: unknown, file: string, i: number): T {
    const problem = shapeProblem(entry, this.kind.shape);
    if (problem !== null) {
      const name: unknown = typeof entry === 'object' && entry !== null ? Reflect.get(entry, 'name') : undefined;
      throw new InputError(`plugin ${file}: ${this.kind.list}[${i}]${typeof name === 'string' ? ` '${name}'` : ''} is not a ${this.kind.what}: ${problem}`);
    }
    // every field of a T has been checked as far as it can be at run time (EntryKind.shape)
    return entry as T;
  }

  /** built-ins first, then each loaded plugin's, in the pipeline file's order */
  private entries(): { entry: T; file?: string }[] {
    const out: { entry: T; file?: string }[] = this.builtIn.map((entry) => ({ entry }));
    for (const { file, lists } of loadedPlugins()) {
      (lists[this.kind.list] ?? []).forEach((raw, i) => {
        const entry = this.checked(raw, file, i);
        const clash = out.find((r) => r.entry.name === entry.name);
        if (clash) throw new Error(`plugin ${file}: ${this.kind.what} '${entry.name}' is already defined${clash.file ? ` by ${clash.file}` : ' (built in)'}`);
        out.push({ entry, file });
      });
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
    return `unknown ${this.kind.what} '${name}' (${this.kind.what}s: ${this.names().join(', ')})`;
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
