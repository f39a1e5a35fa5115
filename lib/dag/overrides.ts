// `--set stage.param.path=value` (DVC `exp run -S` / Hydra style). Values are YAML scalars or flow
// collections, so `0.5` is a number, `true` a boolean, `[1, 0.75]` a list, `s3` a string.
import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.ts';

export interface Override {
  stage: string;
  path: string[];
  value: unknown;
  /** the argument as the user typed it, for messages */
  raw: string;
}

export function parseOverride(raw: string): Override {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${raw}: expected stage.param=value`);
  const lhs = raw.slice(0, eq).trim();
  const parts = lhs.split('.');
  if (parts.length < 2 || parts.some((p) => p === '')) throw new InputError(`--set ${raw}: expected stage.param=value, e.g. cues.gamma=0.5`);
  return { stage: parts[0], path: parts.slice(1), value: parseValue(raw.slice(eq + 1), raw), raw };
}

export function parseValue(text: string, raw: string): unknown {
  if (text.trim() === '') return '';
  try {
    return parseYaml(text);
  } catch (err) {
    throw new InputError(`--set ${raw}: cannot read value '${text}': ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Splits `cues.gamma=0.3,0.4,0.5` into one override per value (the sweep grammar). */
export function parseGrid(raw: string): Override[] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InputError(`--grid ${raw}: expected stage.param=v1,v2,...`);
  const rhs = raw.slice(eq + 1);
  const values = rhs.trim().startsWith('[') ? [rhs] : rhs.split(',');
  return values.map((v) => parseOverride(`${raw.slice(0, eq)}=${v.trim()}`));
}

export function setIn(obj: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const copy = { ...obj };
  if (rest.length === 0) copy[head] = value;
  else {
    const child = copy[head];
    copy[head] = setIn(isPlainObject(child) ? child : {}, rest, value);
  }
  return copy;
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
