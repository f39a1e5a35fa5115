// What a run would do, and why: each stage is cached (its key has a committed artifact) or stale,
// with reasons found by diffing against the artifact this variant last committed for the stage.
import type { Pipeline, ResolvedStage } from '../dag/load.ts';
import type { Json } from '../store/canonical-json.ts';
import { lineageDigest, upstreamOf } from '../store/lineage.ts';
import type { InputRef, Manifest } from '../store/manifest.ts';
import type { Store } from '../store/store.ts';
import { keyPartsOf, stageKey, type KeyParts } from '../contract/key.ts';
import { contentHashes, keyInputs, LINEAGE_PART } from '../contract/key-inputs.ts';
import { numericsChange } from '../contract/numerics.ts';

export interface StagePlan {
  stage: string;
  state: 'cached' | 'stale';
  /** null while an input is stale: the key depends on what the input will contain */
  key: string | null;
  reasons: string[];
  manifest: Manifest | null;
}

export async function refManifest(p: Pipeline, store: Store, stage: string): Promise<Manifest | null> {
  for (const variant of [p.variant, p.profile]) {
    const key = await store.readRef(variant, stage);
    if (key) return store.lookup(stage, key);
  }
  return null;
}

export async function planPipeline(p: Pipeline, store: Store, stages: string[] = p.order): Promise<Map<string, StagePlan>> {
  const plans = new Map<string, StagePlan>();
  for (const name of p.order) {
    if (!stages.includes(name)) continue;
    const s = p.stages.get(name)!;
    const inputs: Record<string, InputRef> = {};
    const staleInputs: string[] = [];
    for (const [slot, up] of Object.entries(s.inputs)) {
      const upPlan = plans.get(up) ?? (await planPipeline(p, store, [...p.ancestors(up), up])).get(up)!;
      if (upPlan.state === 'cached' && upPlan.manifest) inputs[slot] = upPlan.manifest;
      else staleInputs.push(slot);
    }
    // a lineage can be read only once every input is committed; until then the key is unknown anyway
    const parts = keyPartsOf(p, s, staleInputs.length ? contentHashes(inputs) : await keyInputs(store.root, s, inputs));
    if (staleInputs.length === 0) {
      const key = stageKey(parts);
      const manifest = await store.lookup(name, key);
      if (manifest) {
        plans.set(name, { stage: name, state: 'cached', key, reasons: [], manifest });
        continue;
      }
      plans.set(name, { stage: name, state: 'stale', key, reasons: await reasons(p, store, s, parts, staleInputs), manifest: null });
    } else {
      plans.set(name, { stage: name, state: 'stale', key: null, reasons: await reasons(p, store, s, parts, staleInputs), manifest: null });
    }
  }
  return plans;
}

async function reasons(p: Pipeline, store: Store, s: ResolvedStage, parts: KeyParts, staleInputs: string[]): Promise<string[]> {
  const ref = await refManifest(p, store, s.name);
  if (!ref) {
    const refKey = (await store.readRef(p.variant, s.name)) ?? (await store.readRef(p.profile, s.name));
    return [refKey ? 'artifact missing (removed or corrupt)' : 'never run'];
  }
  const out: string[] = [];
  if (ref.version !== parts.version) out.push(`version changed ${ref.version} -> ${parts.version}`);
  if (ref.codeHash !== parts.codeHash) out.push('code changed');
  out.push(...diffParams(s.name, ref.params, parts.params));
  const numerics = numericsChange(ref.numerics, parts.numerics);
  if (numerics) out.push(numerics);
  if (ref.onnx?.provider !== parts.onnx?.provider) out.push(`onnxruntime provider changed: ${ref.onnx?.provider ?? 'cpu'} -> ${parts.onnx?.provider ?? 'cpu'}`);
  for (const slot of Object.keys(s.inputs)) {
    const up = s.inputs[slot];
    if (staleInputs.includes(slot)) out.push(`input ${slot} is stale (${up} will run)`);
    else if (ref.inputs[slot]?.contentHash !== parts.inputs[slot]) out.push(`input ${slot} changed`);
  }
  const lineage = parts.inputs[LINEAGE_PART];
  if (lineage !== undefined && out.length === 0 && lineageDigest(await upstreamOf(store.root, Object.values(ref.inputs))) !== lineage) {
    out.push('an artifact upstream of its inputs changed (it shows their lineage)');
  }
  if (out.length === 0) out.push('artifact missing (removed or corrupt)');
  return out;
}

export function diffParams(stage: string, before: Json, after: Json): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const out: string[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(k);
    const y = b.get(k);
    if (x === y) continue;
    if (x === undefined) out.push(`param ${stage}.${k} added (${y})`);
    else if (y === undefined) out.push(`param ${stage}.${k} removed (was ${x})`);
    else out.push(`param ${stage}.${k} changed ${x} -> ${y}`);
  }
  return out;
}

function flatten(v: Json, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, typeof v === 'string' ? v : JSON.stringify(v));
  return out;
}
