// Which stages a run holds: each stage reads only the optional inputs its params use; stages marked
// `on_demand` join only when demanded or read; what nothing reads stays idle.
import type { PipelineFile } from './pipeline-file.ts';
import type { IdleStage, SlotEdge, StageDefs, StageParams } from './resolution.ts';

/** Each stage's mapped slots minus the optional ones its resolved params do not read. */
export function usedInputs(names: string[], spec: PipelineFile, defs: StageDefs, params: StageParams): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const name of names) {
    const { def } = defs.get(name)!;
    const reads = def.inputsUsed ? new Set(def.inputsUsed(params.get(name)!)) : null;
    out.set(
      name,
      Object.fromEntries(Object.entries(spec.stages[name].inputs).filter(([slot]) => !def.optionalInputs?.includes(slot) || reads === null || reads.has(slot))),
    );
  }
  return out;
}

/** Every stage not marked on_demand, the demanded ones, and whatever they read, transitively. */
export function activeStages(names: string[], spec: PipelineFile, used: Map<string, Record<string, string>>, demand: string[]): Set<string> {
  const active = new Set<string>();
  const visit = (n: string): void => {
    if (active.has(n) || !spec.stages[n]) return;
    active.add(n);
    for (const up of Object.values(used.get(n)!)) visit(up);
  };
  for (const n of names) if (!spec.stages[n].on_demand || demand.includes(n)) visit(n);
  return active;
}

/** The stages left out of the run, with who would read them under other params. */
export function idleStages(names: string[], spec: PipelineFile, defs: StageDefs, active: Set<string>, edges: SlotEdge[]): IdleStage[] {
  return names
    .filter((n) => !active.has(n))
    .map(
      (name): IdleStage => ({
        name,
        description: spec.stages[name].description ?? defs.get(name)!.def.description,
        readers: edges.filter((e) => e.from === name).map((e) => ({ stage: e.to, slot: e.slot })),
      }),
    );
}
