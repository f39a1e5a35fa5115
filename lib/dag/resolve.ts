// Resolving pipeline.yaml: every stage module imported, every slot mapped, the graph acyclic, and
// the chosen profile's params (plus --set overrides) parsed through each stage's schema. Every
// problem is one InputError naming file:line:col or the --set. The result is plain data, which
// load.ts caches so an unchanged pipeline does not pay for importing stages and zod again.
// The phases, in the order their errors are reported, are modules of their own; this one runs them.
import { canonicalJson, type Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import { activeStages, idleStages, usedInputs } from './active-stages.ts';
import { checkFollows, followNotes } from './follows.ts';
import { buildGraph, topoOrder } from './graph.ts';
import type { Override } from './overrides.ts';
import { readPipelineFile } from './pipeline-file.ts';
import { checkProfiles, chooseProfile } from './profiles.ts';
import type { LoadOptions, Resolution } from './resolution.ts';
import { checkRefusals, resolvedStages } from './resolved-stages.ts';
import { paramsByProfile, runOverrides } from './stage-params.ts';
import { importStageDefs, slotEdges } from './stage-wiring.ts';

export type { IdleStage, LoadOptions, Resolution, ResolvedStage } from './resolution.ts';

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
  const source = readPipelineFile(file);
  const { path, shown, src, spec, root, plugins } = source;
  const stageNames = Object.keys(spec.stages);
  const defs = await importStageDefs(source);
  const edges = slotEdges(source, defs);

  const profiles = Object.keys(spec.profiles);
  checkProfiles(src, spec);
  const profile = chooseProfile(src, spec, shown, opts.profile);
  const overrides = runOverrides(spec, opts);
  for (const name of stageNames) checkFollows(src, spec, name);
  const paramsOf = paramsByProfile(src, spec, defs, profiles.length ? profiles : [profile], profile, overrides);

  const resolution = (pname: string): Resolution => {
    const params = paramsOf.get(pname)!;
    const applied = pname === profile ? overrides : [];
    const notes = followNotes(src, spec, params);
    const used = usedInputs(stageNames, spec, defs, params);
    const active = activeStages(stageNames, spec, used, opts.demand ?? []);
    const order = topoOrder(
      buildGraph(
        stageNames.filter((n) => active.has(n)),
        edges.filter((e) => active.has(e.to) && e.slot in used.get(e.to)!),
      ),
    );
    const run = { spec, defs, params, used, order };
    checkRefusals(run, pname, applied.length > 0);
    return {
      file: path,
      root,
      profile: pname,
      profiles,
      overrides: applied,
      variant: variantOf(pname, applied),
      stages: resolvedStages(run),
      idle: idleStages(stageNames, spec, defs, active, edges),
      notes,
      plugins,
    };
  };
  return { profile, profiles, resolution };
}

/** The run's refs namespace: the profile, and a digest of the overrides when there are any. */
function variantOf(profile: string, applied: Override[]): string {
  const digest = applied.length ? `@${sha256(canonicalJson(applied.map((o) => [o.stage, o.path, o.value] as Json))).slice(0, 10)}` : '';
  return `${profile}${digest}`;
}
