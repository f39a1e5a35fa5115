// The stages of one run in dependency order, as plain data: a stage may refuse its params and
// upstream (one line naming the profile), and whether it computes with tensors (or onnxruntime) may
// depend on its upstream's, so both walk the run's graph in order.
import { InputError } from '../errors.ts';
import type { PipelineFile } from './pipeline-file.ts';
import type { ResolvedStage, StageDefs, StageParams } from './resolution.ts';

interface RunStages {
  spec: PipelineFile;
  defs: StageDefs;
  params: StageParams;
  /** each stage's slots read in this run -> upstream stage */
  used: Map<string, Record<string, string>>;
  /** the run's stages in dependency order */
  order: string[];
}

/** The first refusal of a stage (StageDefinition.refuse), as the input error it is. */
export function checkRefusals({ defs, params, used, order }: RunStages, profile: string, withSet: boolean): void {
  for (const name of order) {
    const def = defs.get(name)!.def;
    const refusal = def.refuse?.(params.get(name)!, (slot) => {
      const up = used.get(name)![slot];
      return up === undefined ? undefined : { stage: up, params: params.get(up)! };
    });
    if (refusal) throw new InputError(`profile ${profile}${withSet ? ` (with --set)` : ''}: ${refusal.stage ?? name}.${refusal.key}: ${refusal.message}`);
  }
}

export function resolvedStages({ spec, defs, params, used, order }: RunStages): ResolvedStage[] {
  const tensors = new Map<string, boolean>();
  const onnx = new Map<string, boolean>();
  return order.map((name): ResolvedStage => {
    const entry = spec.stages[name];
    const { def, module } = defs.get(name)!;
    const upstream = (slot: string) => {
      const up = used.get(name)![slot];
      return up === undefined ? undefined : { stage: up, params: params.get(up)!, tensors: tensors.get(up)!, onnx: onnx.get(up)! };
    };
    tensors.set(name, typeof def.tensors === 'function' ? def.tensors(params.get(name)!, upstream) : Boolean(def.tensors));
    onnx.set(name, typeof def.onnx === 'function' ? def.onnx(params.get(name)!, upstream) : Boolean(def.onnx));
    return {
      name,
      description: entry.description ?? def.description,
      version: def.version,
      implemented: def.implemented !== false,
      module,
      inputs: used.get(name)!,
      params: params.get(name)!,
      isolate: entry.isolate ?? def.isolate ?? false,
      readsLineage: def.readsLineage ?? false,
      tensors: tensors.get(name)!,
      onnx: onnx.get(name)!,
      perItem: def.perItem !== undefined,
      guards: [...(def.guards ?? [])],
    };
  });
}
