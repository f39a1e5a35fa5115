// Resolving pipeline.yaml: every stage module imported, every slot mapped, the graph acyclic, and
// the chosen profile's params (plus --set overrides) parsed through each stage's schema. Every
// problem is one InputError naming file:line:col or the --set. The result is plain data, which
// load.ts caches so an unchanged pipeline does not pay for importing stages and zod again.
import type { z } from 'zod';
import { InputError } from '../errors.ts';
import type { StageDefinition } from '../stage/stage.ts';
import { canonicalJson, type Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import { buildGraph, findCycle, topoOrder } from './graph.ts';
import { deepMerge, isPlainObject, parseOverride, setIn, type Override } from './overrides.ts';
import { importStage, readPipelineFile, stageModules, type PipelineFile } from './pipeline-file.ts';
import type { YamlSource } from './yaml-source.ts';
import { describeIssue } from './zod-issues.ts';

export interface ResolvedStage {
  name: string;
  description: string;
  version: number;
  /** false: declared in the DAG only */
  implemented: boolean;
  /** absolute path of the stage module */
  module: string;
  /** slot -> upstream stage */
  inputs: Record<string, string>;
  params: Record<string, unknown>;
  isolate: boolean;
  /** its key covers its inputs' lineage (StageDefinition.readsLineage) */
  readsLineage: boolean;
  /** it computes with tensors under these params and inputs: its key carries numerics (lib/stage/numerics.ts) */
  tensors: boolean;
  /** it computes per item (lib/exec/per-item.ts) */
  perItem: boolean;
  /** params left out of its key (StageDefinition.guards) */
  guards: string[];
}

/** A stage declared `on_demand` that no stage of this run reads: not part of the run. */
export interface IdleStage {
  name: string;
  description: string;
  /** the stages that read it under other params, and through which slot */
  readers: { stage: string; slot: string }[];
}

/** Everything a run needs from pipeline.yaml, as plain JSON. */
export interface Resolution {
  file: string;
  root: string;
  profile: string;
  profiles: string[];
  overrides: Override[];
  /** refs namespace of this run: the profile, plus a digest of any overrides */
  variant: string;
  /** in dependency order: the stages of this run */
  stages: ResolvedStage[];
  /** on-demand stages nothing in this run reads (status and dag list them; run skips them) */
  idle: IdleStage[];
  /** where a stage's own params override what it follows (the comparison then differs), one line each */
  notes: string[];
  /** the pipeline file's plugins, absolute (lib/plugins) */
  plugins: string[];
}

export interface LoadOptions {
  profile?: string;
  set?: string[];
  /** pre-parsed overrides (sweeps) */
  overrides?: Override[];
  /** on-demand stages to include even if nothing reads them (`run --until saliency-train`) */
  demand?: string[];
}

export async function resolvePipeline(file: string, opts: LoadOptions = {}): Promise<Resolution> {
  const r = await resolveFile(file, opts);
  return r.resolution(r.profile);
}

/**
 * Every profile of the file, without overrides, from one parse and one validation (gc keeps what
 * any profile uses: loading the file once per profile would make it quadratic in profiles).
 */
export async function resolveAllProfiles(file: string): Promise<Resolution[]> {
  const r = await resolveFile(file, {});
  return (r.profiles.length ? r.profiles : [r.profile]).map((name) => r.resolution(name));
}

/** The file parsed and validated (every profile's params too); `resolution` finishes one profile. */
async function resolveFile(file: string, opts: LoadOptions): Promise<{ profile: string; profiles: string[]; resolution(profile: string): Resolution }> {
  const { path, shown, src, spec, root, plugins } = readPipelineFile(file);
  const stageNames = Object.keys(spec.stages);
  const defs = new Map<string, { def: StageDefinition<Record<string, unknown>>; module: string }>();
  await Promise.all(
    [...stageModules({ src, spec, root })].map(async ([name, m]) => {
      defs.set(name, { def: await importStage(m.module, m.where, name, m.explicit), module: m.module });
    }),
  );

  const edges: { from: string; to: string; slot: string }[] = [];
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
    if (missing.length) throw new InputError(`${src.where(['stages', name])}: stage ${name}: input ${missing.map((s) => `'${s}'`).join(', ')} not mapped to a stage`);
  }
  const graph = buildGraph(stageNames, edges);
  const cycle = findCycle(graph);
  if (cycle) throw new InputError(`${src.where(['stages', cycle[0]])}: the stages form a cycle: ${cycle.join(' -> ')}`);

  const profiles = Object.keys(spec.profiles);
  for (const [pname, prof] of Object.entries(spec.profiles)) {
    if (prof.extends && !spec.profiles[prof.extends]) {
      throw new InputError(`${src.where(['profiles', pname, 'extends'], false)}: profile ${pname} extends unknown profile '${prof.extends}'`);
    }
    for (const stage of Object.keys(prof.params)) {
      if (!spec.stages[stage]) throw new InputError(`${src.where(['profiles', pname, 'params', stage])}: profile ${pname}: unknown stage '${stage}'`);
    }
  }
  const profile = opts.profile ?? spec.default_profile ?? profiles[0] ?? 'default';
  if (profiles.length && !spec.profiles[profile]) {
    throw new InputError(`unknown profile '${profile}' (profiles in ${shown}: ${profiles.join(', ')})`);
  }
  if (spec.default_profile && profiles.length && !spec.profiles[spec.default_profile]) {
    throw new InputError(`${src.where(['default_profile'], false)}: default_profile names unknown profile '${spec.default_profile}'`);
  }

  const overrides = [...(opts.overrides ?? []), ...(opts.set ?? []).map(parseOverride)];
  for (const o of overrides) {
    if (!spec.stages[o.stage]) throw new InputError(`--set ${o.raw}: unknown stage '${o.stage}' (stages: ${stageNames.join(', ')})`);
  }

  for (const name of stageNames) checkFollows(src, spec, name);
  // every profile is validated, so a typo in `voc` is caught while running `toy`
  const paramsOf = new Map<string, Map<string, Record<string, unknown>>>();
  for (const pname of profiles.length ? profiles : [profile]) {
    const chain = profileChain(spec, pname, src);
    const done = new Map<string, Record<string, unknown>>();
    const one = (name: string): Record<string, unknown> => {
      let params = done.get(name);
      if (params) return params;
      const base = followedParams(src, spec, name, one);
      params = resolveParams(src, spec, name, defs.get(name)!.def.params, chain, pname === profile ? overrides.filter((o) => o.stage === name) : [], base);
      done.set(name, params);
      return params;
    };
    for (const name of stageNames) one(name);
    paramsOf.set(pname, done);
  }

  const resolution = (pname: string): Resolution => {
    const resolvedParams = paramsOf.get(pname)!;
    const applied = pname === profile ? overrides : [];
    const notes: string[] = [];
    for (const name of stageNames) {
      const followed = followedParams(src, spec, name, (n) => resolvedParams.get(n)!);
      for (const [key, value] of Object.entries(followed)) {
        const own = resolvedParams.get(name)![key];
        if (canonicalJson(own as Json) !== canonicalJson(value as Json)) {
          const from = Object.entries(spec.stages[name].follows ?? {}).find(([, keys]) => keys.includes(key))![0];
          notes.push(`${name}.${key} is ${JSON.stringify(own)}, not ${from}'s ${JSON.stringify(value)}, which it follows: the comparison differs there`);
        }
      }
    }

    const used = usedInputs(stageNames, spec, defs, resolvedParams);
    const active = activeStages(stageNames, spec, used, opts.demand ?? []);
    const runGraph = buildGraph(
      stageNames.filter((n) => active.has(n)),
      edges.filter((e) => active.has(e.to) && e.slot in used.get(e.to)!),
    );
    for (const name of topoOrder(runGraph)) {
      const def = defs.get(name)!.def;
      const refusal = def.refuse?.(resolvedParams.get(name)!, (slot) => {
        const up = used.get(name)![slot];
        return up === undefined ? undefined : { stage: up, params: resolvedParams.get(up)! };
      });
      if (refusal) throw new InputError(`profile ${pname}${applied.length ? ` (with --set)` : ''}: ${refusal.stage ?? name}.${refusal.key}: ${refusal.message}`);
    }
    const tensors = new Map<string, boolean>();
    const stages = topoOrder(runGraph).map((name): ResolvedStage => {
      const entry = spec.stages[name];
      const { def, module } = defs.get(name)!;
      const upstream = (slot: string) => {
        const up = used.get(name)![slot];
        return up === undefined ? undefined : { stage: up, params: resolvedParams.get(up)!, tensors: tensors.get(up)! };
      };
      tensors.set(name, typeof def.tensors === 'function' ? def.tensors(resolvedParams.get(name)!, upstream) : Boolean(def.tensors));
      return {
        name,
        description: entry.description ?? def.description,
        version: def.version,
        implemented: def.implemented !== false,
        module,
        inputs: used.get(name)!,
        params: resolvedParams.get(name)!,
        isolate: entry.isolate ?? def.isolate ?? false,
        readsLineage: def.readsLineage ?? false,
        tensors: tensors.get(name)!,
        perItem: def.perItem !== undefined,
        guards: [...(def.guards ?? [])],
      };
    });
    const idle = stageNames.filter((n) => !active.has(n)).map((name): IdleStage => ({
      name,
      description: spec.stages[name].description ?? defs.get(name)!.def.description,
      readers: edges.filter((e) => e.from === name).map((e) => ({ stage: e.to, slot: e.slot })),
    }));
    const overrideDigest = applied.length ? `@${sha256(canonicalJson(applied.map((o) => [o.stage, o.path, o.value] as Json))).slice(0, 10)}` : '';
    return {
      file: path,
      root,
      profile: pname,
      profiles,
      overrides: applied,
      variant: `${pname}${overrideDigest}`,
      stages,
      idle,
      notes,
      plugins,
    };
  };
  return { profile, profiles, resolution };
}

/** Each stage's mapped slots minus the optional ones its resolved params do not read. */
function usedInputs(
  names: string[], spec: PipelineFile, defs: Map<string, { def: StageDefinition<Record<string, unknown>> }>,
  params: Map<string, Record<string, unknown>>,
): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const name of names) {
    const { def } = defs.get(name)!;
    const reads = def.inputsUsed ? new Set(def.inputsUsed(params.get(name)!)) : null;
    out.set(name, Object.fromEntries(Object.entries(spec.stages[name].inputs).filter(([slot]) => !def.optionalInputs?.includes(slot) || reads === null || reads.has(slot))));
  }
  return out;
}

/** Every stage not marked on_demand, the demanded ones, and whatever they read, transitively. */
function activeStages(names: string[], spec: PipelineFile, used: Map<string, Record<string, string>>, demand: string[]): Set<string> {
  const active = new Set<string>();
  const visit = (n: string): void => {
    if (active.has(n) || !spec.stages[n]) return;
    active.add(n);
    for (const up of Object.values(used.get(n)!)) visit(up);
  };
  for (const n of names) if (!spec.stages[n].on_demand || demand.includes(n)) visit(n);
  return active;
}

function profileChain(spec: PipelineFile, name: string, src: YamlSource): string[] {
  const chain: string[] = [];
  for (let p: string | undefined = name; p && spec.profiles[p]; p = spec.profiles[p].extends) {
    if (chain.includes(p)) throw new InputError(`${src.where(['profiles', p, 'extends'], false)}: profiles extend each other in a cycle: ${[...chain, p].join(' -> ')}`);
    chain.push(p);
  }
  return chain.reverse();
}

/** Sources of `follows` exist, do not lead back to the stage, and are not the stage itself. */
function checkFollows(src: YamlSource, spec: PipelineFile, name: string, path: string[] = []): void {
  const follows = spec.stages[name].follows;
  if (!follows) return;
  if (path.includes(name)) throw new InputError(`${src.where(['stages', name, 'follows'])}: stages follow each other's params in a cycle: ${[...path, name].join(' -> ')}`);
  for (const source of Object.keys(follows)) {
    for (const from of source.split('+')) {
      if (!spec.stages[from]) throw new InputError(`${src.where(['stages', name, 'follows', source], false)}: stage ${name} follows unknown stage '${from}'`);
      checkFollows(src, spec, from, [...path, name]);
    }
  }
}

/** The params a stage takes from the stages it follows (each already resolved for this profile). */
function followedParams(
  src: YamlSource, spec: PipelineFile, name: string, resolved: (stage: string) => Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [source, keys] of Object.entries(spec.stages[name].follows ?? {})) {
    const froms = source.split('+');
    for (const key of keys) {
      const values = froms.map((f) => {
        const params = resolved(f);
        if (!(key in params)) throw new InputError(`${src.where(['stages', name, 'follows', source])}: stage ${name} follows ${f}.${key}, which ${f} has not`);
        return params[key];
      });
      if (froms.length === 1) out[key] = values[0];
      else if (values.every((v): v is number => typeof v === 'number')) out[key] = values.reduce((a, b) => a + b, 0);
      else throw new InputError(`${src.where(['stages', name, 'follows', source])}: ${name} follows the sum ${froms.map((f) => `${f}.${key}`).join(' + ')}, which are not all numbers`);
    }
  }
  return out;
}

/**
 * Parses layer by layer (followed params, stage defaults, each profile, then --set) so an error
 * names its source.
 */
function resolveParams(
  src: YamlSource,
  spec: PipelineFile,
  stage: string,
  schema: z.ZodType<Record<string, unknown>>,
  chain: string[],
  overrides: Override[],
  followed: Record<string, unknown> = {},
): Record<string, unknown> {
  const check = (value: Record<string, unknown>, blame: (issuePath: (string | number)[]) => string): Record<string, unknown> => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    const { path, message } = describeIssue(r.error.issues[0], value);
    throw new InputError(`${blame(path)}: ${[stage, ...path].join('.')}: ${message}`);
  };
  let merged: Record<string, unknown> = deepMerge(followed, spec.stages[stage].params);
  check(merged, (p) => (p[0] !== undefined && p[0] in followed && !(p[0] in spec.stages[stage].params) ? src.where(['stages', stage, 'follows']) : src.where(['stages', stage, 'params', ...p])));
  for (const pname of chain) {
    const layer = spec.profiles[pname].params[stage];
    if (!layer) continue;
    if (!isPlainObject(layer)) throw new InputError(`${src.where(['profiles', pname, 'params', stage])}: params of ${stage} must be a map`);
    merged = deepMerge(merged, layer);
    check(merged, (p) => {
      const inProfile = ['profiles', pname, 'params', stage, ...p];
      return src.has(inProfile.slice(0, -1)) ? src.where(inProfile) : src.where(['stages', stage, 'params', ...p]);
    });
  }
  let result = check(merged, () => src.where(['stages', stage]));
  for (const o of overrides) {
    merged = setIn(merged, o.path, o.value);
    result = check(merged, () => `--set ${o.raw}`);
  }
  return result;
}
