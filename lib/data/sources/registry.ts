// Every dataset source the pipeline can build from, by name: the built-in ones (list.ts) and those
// the pipeline file's plugins add (lib/plugins, held by lib/registry). The dataset stage's `source`
// param and --help read them here.
import { z } from 'zod';
import { Registry } from '../../registry/registry.ts';
import { BUILT_IN_SOURCES } from './list.ts';
import type { DatasetShape, DatasetSourcePlugin } from './source-plugin.ts';

const SOURCES = new Registry<DatasetSourcePlugin>(
  {
    what: 'dataset source',
    list: 'sources',
    shape: { name: 'string', summary: 'string', options: 'schema', build: 'function', state: 'function?', shape: 'function?' },
  },
  BUILT_IN_SOURCES,
);

export const sourceNames = (): string[] => SOURCES.names();
export const sourceEntries = (): DatasetSourcePlugin[] => SOURCES.all();
export const sourceNamed = (name: string): Promise<DatasetSourcePlugin> => SOURCES.named(name);
export const isBuiltInSource = (name: string): boolean => SOURCES.isBuiltIn(name);
/** a plugin's source: the code identity of its file; a built-in: undefined */
export const sourceCode = (name: string): string | undefined => SOURCES.code(name);

/** The source's digest of what it reads outside the cache (DatasetSourcePlugin.state), for the dataset's key. */
export function sourceState(name: string, options: unknown): string | undefined {
  const s = SOURCES.find(name);
  if (!s?.state) return undefined;
  const parsed = s.options.safeParse(options);
  return parsed.success ? s.state(parsed.data) : undefined;
}

/** The source's published shape (DatasetSourcePlugin.shape) under these options; undefined when it declares none. */
export function sourceShape(name: string, options: unknown): DatasetShape | undefined {
  const s = SOURCES.find(name);
  if (!s?.shape) return undefined;
  const parsed = s.options.safeParse(options);
  return parsed.success ? s.shape(parsed.data) : undefined;
}

/** dataset.source: a name the registry knows (the pipeline file's plugins loaded first) */
export const sourceName = z.string().superRefine((name, ctx) => {
  if (!SOURCES.find(name)) ctx.addIssue({ code: 'custom', message: SOURCES.unknown(name) });
});

/** Each built-in source's options under its own name: the dataset params' source parts. */
export function builtInSourceParts(): Record<string, z.ZodType> {
  return Object.fromEntries(BUILT_IN_SOURCES.map((s) => [s.name, s.options]));
}

/** A plugin's source reads dataset.options, checked by its schema at parse time; a built-in reads dataset.<name>. */
export function checkSourceOptions(p: { source: string; options?: Record<string, unknown> }, ctx: z.RefinementCtx): void {
  const s = SOURCES.find(p.source);
  if (!s) return;
  if (SOURCES.isBuiltIn(p.source)) {
    if (p.options !== undefined)
      ctx.addIssue({ code: 'custom', path: ['options'], message: `read only by a plugin's source; source ${p.source} takes its options from ${p.source}` });
    return;
  }
  const r = s.options.safeParse(p.options ?? {});
  for (const i of r.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: ['options', ...i.path.map(String)], message: i.message });
}
