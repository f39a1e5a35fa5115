// A stage's work, loaded when the stage runs: the module its declaration names by `work`
// (lib/work/<stage>.ts), whose `work` export holds the hooks. Every place that runs a stage comes
// here (stage-runner.ts in-process and in an isolated child, item-task.ts in a worker thread or a
// distributed worker), so a declaration never has to import its body.
import type { Json } from '../store/canonical-json.ts';
import type { ItemWork, RunWork, StageDefinition } from '../contract/stage.ts';
import { ensureTypeScript } from '../contract/typescript.ts';
// A work module may meet a plugin's detector or source by name, and the registries then import the
// announced plugins (lib/registry/plugins.ts): a fresh worker thread or child process must have
// their loader installed, which importing it does.
import '../plugins/load.ts';

/** The work as the executor calls it: params and state erased, as in the registry of declarations. */
export type AnyItemWork = ItemWork<Record<string, unknown>, Json, unknown>;
export type AnyRunWork = RunWork<Record<string, unknown>>;

async function workExport(def: StageDefinition): Promise<Record<string, unknown>> {
  if (!def.work) throw new Error(`stage ${def.name} names no work module`);
  await ensureTypeScript();
  let mod: { work?: unknown };
  try {
    mod = (await import(def.work.href)) as { work?: unknown };
  } catch (err) {
    throw new Error(`stage ${def.name}: cannot load its work module ${def.work.pathname}: ${(err as Error).message}`, { cause: err });
  }
  if (!mod.work || typeof mod.work !== 'object') throw new Error(`stage ${def.name}: its work module ${def.work.pathname} exports no \`work\``);
  return mod.work as Record<string, unknown>;
}

function hooks(def: StageDefinition, work: Record<string, unknown>, required: string, optional: string[]): void {
  if (typeof work[required] !== 'function') throw new Error(`stage ${def.name}: the \`work\` of ${def.work?.pathname} has no ${required}()`);
  for (const name of optional) {
    if (work[name] !== undefined && typeof work[name] !== 'function')
      throw new Error(`stage ${def.name}: ${name} in the \`work\` of ${def.work?.pathname} is not a function`);
  }
}

/** A per-item stage's work: compute, and optionally computeBatch, shared, setup, summarize and run. */
export async function loadItemWork(def: StageDefinition): Promise<AnyItemWork> {
  if (!def.perItem) throw new Error(`stage ${def.name} has no per-item computation`);
  const work = await workExport(def);
  hooks(def, work, 'compute', ['computeBatch', 'shared', 'setup', 'summarize', 'run']);
  return work as unknown as AnyItemWork;
}

/** A whole-stage stage's work: run. */
export async function loadRunWork(def: StageDefinition): Promise<AnyRunWork> {
  const work = await workExport(def);
  hooks(def, work, 'run', []);
  return work as unknown as AnyRunWork;
}
