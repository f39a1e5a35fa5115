// Profiles: each one's `extends` and stage names checked, the profile of this run chosen, and the
// chain of profiles a profile's params are layered from (the one it extends first).
import { InputError } from '../errors.ts';
import type { PipelineFile } from './pipeline-file.ts';
import type { YamlSource } from './yaml-source.ts';

export function checkProfiles(src: YamlSource, spec: PipelineFile): void {
  for (const [pname, prof] of Object.entries(spec.profiles)) {
    if (prof.extends && !spec.profiles[prof.extends]) {
      throw new InputError(`${src.where(['profiles', pname, 'extends'], false)}: profile ${pname} extends unknown profile '${prof.extends}'`);
    }
    for (const stage of Object.keys(prof.params)) {
      if (!spec.stages[stage]) throw new InputError(`${src.where(['profiles', pname, 'params', stage])}: profile ${pname}: unknown stage '${stage}'`);
    }
  }
}

/** The profile asked for, else the file's default, else its first; it (and the default) must exist. */
export function chooseProfile(src: YamlSource, spec: PipelineFile, shown: string, asked: string | undefined): string {
  const profiles = Object.keys(spec.profiles);
  const profile = asked ?? spec.default_profile ?? profiles[0] ?? 'default';
  if (profiles.length && !spec.profiles[profile]) {
    throw new InputError(`unknown profile '${profile}' (profiles in ${shown}: ${profiles.join(', ')})`);
  }
  if (spec.default_profile && profiles.length && !spec.profiles[spec.default_profile]) {
    throw new InputError(`${src.where(['default_profile'], false)}: default_profile names unknown profile '${spec.default_profile}'`);
  }
  return profile;
}

export function profileChain(spec: PipelineFile, name: string, src: YamlSource): string[] {
  const chain: string[] = [];
  for (let p: string | undefined = name; p && spec.profiles[p]; p = spec.profiles[p].extends) {
    if (chain.includes(p))
      throw new InputError(`${src.where(['profiles', p, 'extends'], false)}: profiles extend each other in a cycle: ${[...chain, p].join(' -> ')}`);
    chain.push(p);
  }
  return chain.reverse();
}
