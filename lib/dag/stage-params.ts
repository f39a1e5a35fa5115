// Each stage's params under each profile: what it follows, its own defaults in the file, each
// profile of the chain, then the run's --set overrides, parsed through the stage's schema layer by
// layer so an error names the layer it came from. Every profile is resolved, so a typo in `voc` is
// caught while running `toy`.
import type { z } from 'zod';
import { InputError } from '../errors.ts';
import { followedParams } from './follows.ts';
import { deepMerge, isPlainObject, parseOverride, setIn, type Override } from './overrides.ts';
import type { PipelineFile } from './pipeline-file.ts';
import { profileChain } from './profiles.ts';
import type { LoadOptions, StageDefs, StageParams } from './resolution.ts';
import type { YamlSource } from './yaml-source.ts';
import { describeIssue } from './zod-issues.ts';

/** The run's overrides (a sweep's, then --set), each naming a stage of the file. */
export function runOverrides(spec: PipelineFile, opts: LoadOptions): Override[] {
  const overrides = [...(opts.overrides ?? []), ...(opts.set ?? []).map(parseOverride)];
  for (const o of overrides) {
    if (!spec.stages[o.stage]) throw new InputError(`--set ${o.raw}: unknown stage '${o.stage}' (stages: ${Object.keys(spec.stages).join(', ')})`);
  }
  return overrides;
}

/** Every stage's params under each of `profiles`; the overrides apply to `profile` only. */
export function paramsByProfile(
  src: YamlSource,
  spec: PipelineFile,
  defs: StageDefs,
  profiles: string[],
  profile: string,
  overrides: Override[],
): Map<string, StageParams> {
  const paramsOf = new Map<string, StageParams>();
  for (const pname of profiles) {
    const chain = profileChain(spec, pname, src);
    const done: StageParams = new Map();
    const one = (name: string): Record<string, unknown> => {
      let params = done.get(name);
      if (params) return params;
      const base = followedParams(src, spec, name, one);
      params = resolveParams(src, spec, name, defs.get(name)!.def.params, chain, pname === profile ? overrides.filter((o) => o.stage === name) : [], base);
      done.set(name, params);
      return params;
    };
    for (const name of Object.keys(spec.stages)) one(name);
    paramsOf.set(pname, done);
  }
  return paramsOf;
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
  check(merged, (p) =>
    p[0] !== undefined && p[0] in followed && !(p[0] in spec.stages[stage].params)
      ? src.where(['stages', stage, 'follows'])
      : src.where(['stages', stage, 'params', ...p]),
  );
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
