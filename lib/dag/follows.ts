// `follows:` a stage takes some params from the stages it follows (one stage's value, or the sum
// over `a+b`), so the compared variants cannot drift apart; its own params may still differ, and
// each such difference is noted.
import { InputError } from '../errors.ts';
import { canonicalJson, type Json } from '../store/canonical-json.ts';
import type { PipelineFile } from './pipeline-file.ts';
import type { StageParams } from './resolution.ts';
import type { YamlSource } from './yaml-source.ts';

/** Sources of `follows` exist, do not lead back to the stage, and are not the stage itself. */
export function checkFollows(src: YamlSource, spec: PipelineFile, name: string, path: string[] = []): void {
  const follows = spec.stages[name].follows;
  if (!follows) return;
  if (path.includes(name))
    throw new InputError(`${src.where(['stages', name, 'follows'])}: stages follow each other's params in a cycle: ${[...path, name].join(' -> ')}`);
  for (const source of Object.keys(follows)) {
    for (const from of source.split('+')) {
      if (!spec.stages[from]) throw new InputError(`${src.where(['stages', name, 'follows', source], false)}: stage ${name} follows unknown stage '${from}'`);
      checkFollows(src, spec, from, [...path, name]);
    }
  }
}

/** The params a stage takes from the stages it follows (each already resolved for this profile). */
export function followedParams(
  src: YamlSource,
  spec: PipelineFile,
  name: string,
  resolved: (stage: string) => Record<string, unknown>,
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
      else
        throw new InputError(
          `${src.where(['stages', name, 'follows', source])}: ${name} follows the sum ${froms.map((f) => `${f}.${key}`).join(' + ')}, which are not all numbers`,
        );
    }
  }
  return out;
}

/** One line per followed param a stage's own params set to something else: the comparison differs there. */
export function followNotes(src: YamlSource, spec: PipelineFile, resolvedParams: StageParams): string[] {
  const notes: string[] = [];
  for (const name of Object.keys(spec.stages)) {
    const followed = followedParams(src, spec, name, (n) => resolvedParams.get(n)!);
    for (const [key, value] of Object.entries(followed)) {
      const own = resolvedParams.get(name)![key];
      if (canonicalJson(own as Json) !== canonicalJson(value as Json)) {
        const from = Object.entries(spec.stages[name].follows ?? {}).find(([, keys]) => keys.includes(key))![0];
        notes.push(`${name}.${key} is ${JSON.stringify(own)}, not ${from}'s ${JSON.stringify(value)}, which it follows: the comparison differs there`);
      }
    }
  }
  return notes;
}
