// A sweep: a base configuration (profile + --set) and a grid of param axes; its variants are the
// cartesian product of the axes. Axes come from `--grid stage.param=v1,v2` (the DVC `exp run -S` /
// Hydra multirun grammar) or from a sweep YAML file:
//
//   profile: toy
//   set: [train.iterations=300]
//   grid:
//     cues.saliency: [s1, s3]
//     eval.crf: [false, true]
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { parseGrid, parseOverride, type Override } from './overrides.ts';

export interface SweepAxis {
  /** `stage.param` */
  name: string;
  values: Override[];
}

export interface SweepSpec {
  profile?: string;
  set: string[];
  axes: SweepAxis[];
}

export interface SweepVariant {
  /** axis name -> the value as typed */
  labels: Record<string, string>;
  overrides: Override[];
}

const SweepFile = z.strictObject({
  profile: z.string().optional(),
  set: z.array(z.string()).default([]),
  grid: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)),
});

export function axisFromGrid(raw: string): SweepAxis {
  const values = parseGrid(raw);
  return { name: `${values[0].stage}.${values[0].path.join('.')}`, values };
}

export async function loadSweepFile(path: string): Promise<SweepSpec> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InputError(`sweep file ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = SweepFile.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`sweep file ${path}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const axes = Object.entries(r.data.grid).map(([name, values]) => ({
    name,
    values: values.map((v) => parseOverride(`${name}=${typeof v === 'string' ? v : JSON.stringify(v)}`)),
  }));
  return { profile: r.data.profile, set: r.data.set, axes };
}

export function variantsOf(spec: SweepSpec): SweepVariant[] {
  const names = spec.axes.map((a) => a.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new InputError(`sweep: axis ${dup} is given twice`);
  let variants: SweepVariant[] = [{ labels: {}, overrides: [] }];
  for (const axis of spec.axes) {
    variants = variants.flatMap((v) =>
      axis.values.map((o) => ({ labels: { ...v.labels, [axis.name]: o.raw.slice(o.raw.indexOf('=') + 1) }, overrides: [...v.overrides, o] })),
    );
  }
  return variants;
}
