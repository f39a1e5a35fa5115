// Every detector the pipeline can run, by name: the built-in ones (detectors/list.ts) and those the
// pipeline file's plugins add (lib/plugins, held by lib/registry). Spec parsing, saliency-s1's param
// checks and --help read the detectors here, so a detector is listed in exactly one place.
import type { z } from 'zod';
import { loadPlugins } from '../registry/plugins.ts';
import { Registry } from '../registry/registry.ts';
import type { DetectorChoice, DetectorPlugin, ParamIssue } from './detector-plugin.ts';
import { BUILT_IN_DETECTORS } from './detectors/list.ts';
import type { DetectorSpec } from './spec.ts';

const DETECTORS = new Registry<DetectorPlugin>(
  {
    what: 'detector',
    list: 'detectors',
    shape: {
      name: 'string',
      summary: 'string',
      spec: 'schema',
      tensors: 'boolean?',
      onnx: 'boolean?',
      fromParams: 'function?',
      checkParams: 'function?',
      refuse: 'function?',
      readsWeights: 'function?',
      firstPass: 'function?',
      erasePass: 'function?',
      located: 'function?',
      create: 'function',
    },
  },
  BUILT_IN_DETECTORS,
);

export const detectorNames = (): string[] => DETECTORS.names();
export const detectorEntries = (): DetectorPlugin[] => DETECTORS.all();
/** The detector of that name among those loaded (sync: for param parsing, after the plugins are loaded). */
export const findDetector = (name: string): DetectorPlugin | undefined => DETECTORS.find(name);
export const unknownDetector = (name: string): string => DETECTORS.unknown(name);
/** The detector of that name, importing the announced plugins first (workers, where nothing has yet). */
export const detectorNamed = (name: string): Promise<DetectorPlugin> => DETECTORS.named(name);
/**
 * The code identity of a detector a plugin added (the plugin file and what it imports); undefined
 * for a built-in, whose code is in the identity of every stage that imports this registry.
 */
export const detectorCode = (name: string): string | undefined => DETECTORS.code(name);

function parseWith(d: DetectorPlugin, json: unknown): DetectorSpec {
  const r = (d.spec as z.ZodType<DetectorSpec>).safeParse(json);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ');
    throw new Error(`invalid saliency detector spec: ${msg}`);
  }
  return r.data;
}

/** Parse unknown JSON into a DetectorSpec of a loaded detector, with a readable message naming the bad key. */
export function parseDetectorSpec(json: unknown): DetectorSpec {
  const kind = json !== null && typeof json === 'object' ? (json as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string') throw new Error(`invalid saliency detector spec: kind: expected one of ${detectorNames().join(', ')}`);
  const d = findDetector(kind);
  if (!d) throw new Error(`invalid saliency detector spec: kind: ${unknownDetector(kind)}`);
  return parseWith(d, json);
}

/** parseDetectorSpec for any announced detector (plugins imported first). */
export async function parseDetectorSpecAsync(json: unknown): Promise<{ detector: DetectorPlugin; spec: DetectorSpec }> {
  const kind = json !== null && typeof json === 'object' ? (json as { kind?: unknown }).kind : undefined;
  if (typeof kind === 'string' && !findDetector(kind)) await loadPlugins();
  const spec = parseDetectorSpec(json);
  return { detector: findDetector(spec.kind)!, spec };
}

/** saliency-s1's params as the detector's spec (before a first pass completes it with its files). */
export function specFromParams(d: DetectorPlugin, choice: DetectorChoice): DetectorSpec {
  const base = d.fromParams ? d.fromParams(choice) : { ...choice.options, ...(choice.model ? { model: choice.model } : {}) };
  return parseWith(d, { ...base, kind: d.name });
}

/**
 * What the detector's schema says of the options saliency-s1 gives it, as param issues: a bad or
 * unknown option, or a `model` it does not read. Keys the stage fills in later (weights, hashes)
 * or whose absence a refusal words better (onnx without a model) are left alone.
 */
export function optionIssues(d: DetectorPlugin, choice: DetectorChoice): ParamIssue[] {
  let base: Record<string, unknown>;
  try {
    base = d.fromParams ? d.fromParams(choice) : { ...choice.options, ...(choice.model ? { model: choice.model } : {}) };
  } catch {
    return []; // the detector's own checkParams words that one
  }
  const r = (d.spec as z.ZodType<DetectorSpec>).safeParse({ ...base, kind: d.name });
  const given = (key: PropertyKey): ParamIssue['path'] | null =>
    typeof key === 'string' && key in choice.options ? ['options', key] : key === 'model' && choice.model ? ['model'] : null;
  const out: ParamIssue[] = [];
  for (const i of r.error?.issues ?? []) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) {
        const path = given(k);
        if (path) out.push({ path, message: path[0] === 'model' ? `detector ${d.name} does not read model` : `detector ${d.name} has no option '${k}'` });
      }
      continue;
    }
    const path = i.path.length ? given(i.path[0]) : null;
    if (path) out.push({ path: [...path, ...i.path.slice(1).map(String)], message: i.message });
  }
  return out;
}

/** A spec a detector's hook completed, checked again against its schema. */
export function checkedSpec(d: DetectorPlugin, spec: DetectorSpec): DetectorSpec {
  return parseWith(d, spec);
}
