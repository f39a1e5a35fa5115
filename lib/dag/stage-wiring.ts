// The stages wired together: every stage module imported for its definition, every mapped slot one
// the stage declares and naming a stage of the file, every required slot mapped, and no cycle.
import { InputError } from '../errors.ts';
import { buildGraph, findCycle } from './graph.ts';
import { importStage, stageModules, type PipelineSource } from './pipeline-file.ts';
import type { SlotEdge, StageDefs } from './resolution.ts';

type Source = Pick<PipelineSource, 'src' | 'spec' | 'root'>;

export async function importStageDefs(p: Source): Promise<StageDefs> {
  const defs: StageDefs = new Map();
  await Promise.all(
    [...stageModules(p)].map(async ([name, m]) => {
      defs.set(name, { def: await importStage(m.module, m.where, name, m.explicit), module: m.module });
    }),
  );
  return defs;
}

/** Every mapped input slot as an edge, each checked against the stage's declaration; a cycle is refused. */
export function slotEdges({ src, spec }: Source, defs: StageDefs): SlotEdge[] {
  const stageNames = Object.keys(spec.stages);
  const edges: SlotEdge[] = [];
  for (const name of stageNames) {
    const entry = spec.stages[name];
    const { def } = defs.get(name)!;
    for (const [slot, upstream] of Object.entries(entry.inputs)) {
      if (!def.inputs.includes(slot)) {
        throw new InputError(
          `${src.where(['stages', name, 'inputs', slot])}: stage ${name} has no input '${slot}' (its inputs: ${def.inputs.join(', ') || 'none'})`,
        );
      }
      if (!spec.stages[upstream] && !(upstream in spec.stages)) {
        throw new InputError(`${src.where(['stages', name, 'inputs', slot], false)}: stage ${name}: input ${slot} names unknown stage '${upstream}'`);
      }
      edges.push({ from: upstream, to: name, slot });
    }
    const missing = def.inputs.filter((s) => !(s in entry.inputs) && !def.optionalInputs?.includes(s));
    if (missing.length)
      throw new InputError(`${src.where(['stages', name])}: stage ${name}: input ${missing.map((s) => `'${s}'`).join(', ')} not mapped to a stage`);
  }
  const cycle = findCycle(buildGraph(stageNames, edges));
  if (cycle) throw new InputError(`${src.where(['stages', cycle[0]])}: the stages form a cycle: ${cycle.join(' -> ')}`);
  return edges;
}
