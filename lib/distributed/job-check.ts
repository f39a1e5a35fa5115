// What a job from the queue may ask of a worker. Anyone who can write to the queue can write a job,
// so a job is checked whole before anything runs or is written: its shape (no field the worker does
// not know, none missing), its stage (one of the worker's own pipeline), its code hash (the
// worker's own for that stage), its params (valid for the stage, and the ones its key was made of),
// its key (the hash of the recipe it carries), its inputs (committed in this cache, with the
// content its key names), its item ids (plain names) and every path (inside the cache); a chunk of
// a stage that batches by size has its item files keyed by the batches it names, which are the
// batches the worker computes (so no item lands under a key that names another batch). A job
// that passes asks for nothing a coordinator of this checkout could not have asked for: it can make
// the worker compute, never run other code or write outside the cache.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { StageRequest } from '../exec/compute-stage.ts';
import { consecutive } from '../exec/item-batches.ts';
import { batchedKeys, itemFileOf, itemKeysOf, itemsDirOf, type KeyedInput } from '../exec/item-keys.ts';
import type { ItemTask } from '../exec/item-task.ts';
import { keyedParams, stageKey } from '../contract/key.ts';
import { keyInputs, LINEAGE_PART } from '../contract/key-inputs.ts';
import { itemSizesOf } from '../contract/item-batches.ts';
import type { StageDefinition } from '../contract/stage.ts';
import type { Numerics } from '../tensor/numerics.ts';
import { Artifact } from '../store/artifact.ts';
import { canonicalJson, type Json } from '../store/canonical-json.ts';
import { checkInside, resolveInside } from '../store/inside.ts';
import type { ItemTable } from '../store/manifest.ts';
import { KEY_RE, STAGE_NAME, type Store } from '../store/store.ts';
import type { ChunkJobData, StageJobData } from './jobs.ts';
import type { StageRegistry } from './stage-registry.ts';

/** A job the worker will not run; the message is one line, with every value from the job quoted. */
export class JobRefusedError extends Error {}

/** A value from a job as a message shows it: quoted and escaped (one line), and cut short. */
export function shown(value: unknown): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(s.length > 160 ? `${s.slice(0, 160)}...` : s);
}

const hex64 = z.string().regex(KEY_RE, 'must be 64 lowercase hex digits');
const stageName = z.string().regex(STAGE_NAME, 'is not a stage name');
const slot = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'is not an input slot name');
// ids become parts of file names in the stages' readers: a plain name, never a path
const itemId = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !/[/\\\p{Cc}]/u.test(s) && s !== '.' && s !== '..', 'is not an item id (no slashes, control characters, . or ..)');
const params = z.record(z.string(), z.json());
const relPath = z.string().min(1).max(4096);

// a tensor stage's backend and TensorFlow settings (lib/tensor/numerics.ts): plain scalars under plain names
const NumericsSchema = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/), z.union([z.string().max(200), z.number(), z.boolean()]))
  .refine((n) => typeof n.backend === 'string' && /^[a-z][a-z0-9-]{0,31}$/.test(n.backend), 'names no backend')
  .transform((n) => n as Numerics);
const KeyPartsSchema = z.strictObject({
  stage: stageName,
  version: z.number().int().min(0),
  codeHash: hex64,
  params,
  inputs: z.record(z.union([slot, z.literal(LINEAGE_PART)]), hex64),
  numerics: NumericsSchema.optional(),
  onnx: z.strictObject({ provider: z.literal('cuda') }).optional(),
});

const StageJobSchema = z.strictObject({
  stage: stageName,
  key: hex64,
  version: z.number().int().min(0),
  params,
  parts: KeyPartsSchema,
  inputs: z.record(slot, z.strictObject({ stage: stageName, key: hex64, contentHash: hex64 })),
  force: z.boolean(),
  isolate: z.boolean(),
  // a GPU job: the worker computes it in one of its GPU slots (worker.ts)
  gpu: z.boolean().optional(),
  requestedBy: z.string().max(300),
  // a folder name under the worker's TensorBoard root (stageLogDir checks it again where it is used)
  runName: z
    .string()
    .regex(/^(?!\.\.?$)[A-Za-z0-9._=,+@-]{1,120}$/, 'is not a run name')
    .optional(),
});

const ChunkJobSchema = z.strictObject({
  stage: stageName,
  key: hex64,
  parts: KeyPartsSchema,
  params,
  shared: z.json(),
  inputs: z.record(slot, relPath),
  ids: z.array(itemId).min(1).max(100_000),
  batches: z.array(z.number().int().min(1)).min(1).optional(),
  files: z.array(relPath),
  // compared with what the worker's process computes with before any item runs (lib/exec/item-task.ts)
  numerics: NumericsSchema.optional(),
});

// the schemas must name exactly the fields of the job types: a field added to a job (or to
// StageRequest, KeyParts) without its check here fails to compile instead of passing unchecked
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const sameFields: [
  SameKeys<z.infer<typeof StageJobSchema>, StageJobData>,
  SameKeys<z.infer<typeof ChunkJobSchema>, ChunkJobData>,
  SameKeys<z.infer<typeof KeyPartsSchema>, StageJobData['parts']>,
] = [true, true, true];
void sameFields;

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

function parseJob<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  if (data !== null && typeof data === 'object' && ('module' in data || 'root' in data)) {
    const field = 'module' in data ? 'module' : 'root';
    throw new JobRefusedError(
      `it carries a code path (${field} ${shown((data as Record<string, unknown>)[field])}): a job names a stage of the pipeline, never code`,
    );
  }
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.map(String).join('.') || 'the job';
  const value = issue.code === 'unrecognized_keys' || issue.path.length === 0 ? '' : ` (${shown(valueAt(data, issue.path))})`;
  throw new JobRefusedError(`${where}${value}: ${issue.message}`);
}

/**
 * The recipe a job carries is this worker's: the stage is in its pipeline, at the same version and
 * code, the params pass the stage's schema unchanged and are the key's, and the key is the recipe's.
 */
async function checkRecipe(
  reg: StageRegistry,
  d: { stage: string; key: string; params: Record<string, Json>; parts: StageJobData['parts'] },
): Promise<StageDefinition> {
  if (!reg.has(d.stage)) throw new JobRefusedError(`stage ${shown(d.stage)} is not a stage of its pipeline ${reg.file} (${reg.names.join(', ')})`);
  if (d.parts.stage !== d.stage) throw new JobRefusedError(`the key's recipe is for stage ${shown(d.parts.stage)}, the job for ${d.stage}`);
  const def = await reg.definition(d.stage);
  if (d.parts.version !== def.version)
    throw new JobRefusedError(`${d.stage} is version ${def.version} in this checkout, the job's key was made with version ${d.parts.version}`);
  const mine = reg.codeHash(d.stage);
  if (mine !== d.parts.codeHash) {
    throw new JobRefusedError(
      `its code for ${d.stage} (hash ${mine.slice(0, 12)}) differs from the code the job was keyed with (${d.parts.codeHash.slice(0, 12)}); mixed versions must not write under one key: run the same checkout on every worker and the coordinator`,
    );
  }
  const parsed = def.params.safeParse(d.params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JobRefusedError(`params of ${d.stage}: ${[d.stage, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  }
  const given = canonicalJson(d.params);
  if (canonicalJson(parsed.data) !== given) throw new JobRefusedError(`params of ${d.stage} are not resolved params of the stage (its schema changes them)`);
  if (canonicalJson(d.parts.params) !== canonicalJson(keyedParams(d.params, def.guards)))
    throw new JobRefusedError(`params of ${d.stage} differ from those its key was made of`);
  if (stageKey(d.parts) !== d.key) throw new JobRefusedError(`key ${d.key.slice(0, 12)} of ${d.stage} is not the key of the recipe the job carries`);
  return def;
}

function checkSlots(stage: string, given: string[], keyed: Record<string, string>): void {
  const a = [...given].sort().join(',');
  const b = Object.keys(keyed)
    .filter((k) => k !== LINEAGE_PART)
    .sort()
    .join(',');
  if (a !== b) throw new JobRefusedError(`inputs of ${stage} (${shown(a)}) are not those its key was made of (${shown(b)})`);
}

/** The artifact a job names as an input: committed in this cache, with the content the key names. */
async function checkInput(store: Store, stage: string, slotName: string, dir: string, contentHash: string): Promise<Artifact> {
  let art: Artifact;
  try {
    art = await Artifact.open(dir);
  } catch {
    throw new JobRefusedError(`input ${slotName} of ${stage} is not a committed artifact in ${store.root}`);
  }
  if (art.manifest.contentHash !== contentHash)
    throw new JobRefusedError(
      `input ${slotName} of ${stage} holds content ${art.manifest.contentHash.slice(0, 12)} in this cache, the key names ${contentHash.slice(0, 12)}`,
    );
  return art;
}

/** Where a key's artifact, work and lock go: `<cache>/<stage>/<key>...`, which must stay in the cache. */
function checkOutput(store: Store, stage: string, key: string): void {
  for (const p of [store.artifactDir(stage, key), store.partialDir(stage, key), store.lockPath(stage, key)]) checkInside(store.root, p, `output of ${stage}`);
}

export interface CheckContext {
  registry: StageRegistry;
  store: Store;
}

/** A stage job as the request the executor computes, with the module from the worker's own pipeline. */
export async function checkStageJob(data: unknown, c: CheckContext): Promise<StageRequest> {
  const d = parseJob(StageJobSchema, data);
  const def = await checkRecipe(c.registry, d);
  if (d.version !== d.parts.version) throw new JobRefusedError(`the job's version ${d.version} of ${d.stage} is not its key's ${d.parts.version}`);
  checkSlots(d.stage, Object.keys(d.inputs), d.parts.inputs);
  for (const [name, ref] of Object.entries(d.inputs)) {
    if (!c.registry.has(ref.stage))
      throw new JobRefusedError(`input ${name} of ${d.stage} names stage ${shown(ref.stage)}, which is not in ${c.registry.file}`);
    if (ref.contentHash !== d.parts.inputs[name]) throw new JobRefusedError(`input ${name} of ${d.stage}: its content hash is not the one its key was made of`);
    await checkInput(c.store, d.stage, name, checkInside(c.store.root, c.store.artifactDir(ref.stage, ref.key), `input ${name}`), ref.contentHash);
  }
  // a stage keyed on its inputs' lineage (the report) is keyed on what this cache holds upstream
  const lineage = d.parts.inputs[LINEAGE_PART];
  if (Boolean(def.readsLineage) !== (lineage !== undefined))
    throw new JobRefusedError(
      `the key of ${d.stage} ${lineage === undefined ? 'lacks' : 'has'} a lineage part, and the stage ${def.readsLineage ? 'reads' : 'does not read'} its inputs' lineage`,
    );
  if (lineage !== undefined && (await keyInputs(c.store.root, { readsLineage: true }, d.inputs))[LINEAGE_PART] !== lineage) {
    throw new JobRefusedError(`the lineage of ${d.stage}'s inputs in ${c.store.root} is not the one its key was made of`);
  }
  checkOutput(c.store, d.stage, d.key);
  return {
    stage: d.stage,
    key: d.key,
    version: d.version,
    module: c.registry.module(d.stage),
    params: d.params,
    parts: d.parts,
    inputs: d.inputs,
    force: d.force,
    isolate: d.isolate,
    ...(d.gpu ? { gpu: true } : {}),
  };
}

export interface CheckedChunk {
  task: ItemTask;
  /** absolute item file of each id (in the job's order) */
  files: string[];
}

/** Item tables of committed artifacts, kept across chunks: by folder and content hash, which fix them. */
export class ItemTables {
  private readonly tables = new Map<string, Promise<ItemTable | null>>();
  constructor(private readonly limit = 32) {}

  keyed(art: Artifact): KeyedInput {
    const id = `${art.dir}\0${art.manifest.contentHash}`;
    return {
      manifest: art.manifest,
      itemTable: () => {
        let t = this.tables.get(id);
        if (!t) {
          if (this.tables.size >= this.limit) this.tables.delete(this.tables.keys().next().value!);
          t = art.itemTable();
          this.tables.set(id, t);
        }
        return t;
      },
    };
  }
}

/**
 * A chunk job: its recipe is this worker's, its inputs are committed artifacts in the cache with
 * the content its key names, and each item file is exactly where the stage key's work keeps that
 * item (`<cache>/<stage>/<key>.partial/work/items/<item key>.item`, the item key recomputed here),
 * in a work folder a stage holder created. So a chunk can neither write elsewhere nor put one
 * item's result under another's name.
 */
export async function checkChunkJob(data: unknown, c: CheckContext, tables: ItemTables): Promise<CheckedChunk> {
  const d = parseJob(ChunkJobSchema, data);
  const def = await checkRecipe(c.registry, d);
  if (!def.perItem) throw new JobRefusedError(`stage ${d.stage} has no per-item computation`);
  if (d.files.length !== d.ids.length) throw new JobRefusedError(`${d.ids.length} item ids but ${d.files.length} item files`);
  if (new Set(d.ids).size !== d.ids.length) throw new JobRefusedError(`item ids of ${d.stage} repeat`);
  // a stage that batches by size keys each item by its batch: the chunk must say its batches, and
  // its items are keyed (and computed, lib/exec/item-task.ts) by the batches it says
  const byBatch = itemSizesOf(def.perItem) !== undefined;
  if (byBatch && d.batches === undefined) throw new JobRefusedError(`stage ${d.stage} computes its items in batches, and the chunk names none`);
  if (d.batches !== undefined && d.batches.reduce((a, n) => a + n, 0) !== d.ids.length)
    throw new JobRefusedError(`batches of ${shown(d.batches.join('+'))} items do not cover the chunk's ${d.ids.length} item ids`);
  checkSlots(d.stage, Object.keys(d.inputs), d.parts.inputs);
  const inputs: Record<string, string> = {};
  const keyed: Record<string, KeyedInput> = {};
  for (const [name, rel] of Object.entries(d.inputs)) {
    inputs[name] = resolveInside(c.store.root, rel, `input ${name} of ${d.stage}`);
    keyed[name] = tables.keyed(await checkInput(c.store, d.stage, name, inputs[name], d.parts.inputs[name]));
  }
  checkOutput(c.store, d.stage, d.key);
  const itemsDir = checkInside(c.store.root, itemsDirOf(join(c.store.partialDir(d.stage, d.key), 'work')), `work of ${d.stage}`);
  if (
    !(await stat(itemsDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new JobRefusedError(`no stage computes ${d.stage} key ${d.key.slice(0, 12)} in ${c.store.root} (its work folder is missing)`);
  const own = await itemKeysOf(d.parts, d.shared, d.ids, keyed);
  const keys = byBatch ? batchedKeys(own, consecutive(d.batches!)) : own;
  const files = d.files.map((rel, i) => {
    const file = resolveInside(c.store.root, rel, `item file of ${shown(d.ids[i])}`);
    if (file !== itemFileOf(itemsDir, keys[i]))
      throw new JobRefusedError(`item file of ${shown(d.ids[i])} is ${shown(rel)}, not that item's file in the work of ${d.stage} key ${d.key.slice(0, 12)}`);
    return file;
  });
  return {
    task: {
      module: c.registry.module(d.stage),
      params: d.params,
      shared: d.shared,
      inputs,
      ids: d.ids,
      ...(d.batches ? { batches: d.batches } : {}),
      ...(d.numerics ? { numerics: d.numerics } : {}),
      // the provider the key names: the item key below covers it, so a job cannot ask for another
      ...(d.parts.onnx ? { onnxProvider: d.parts.onnx.provider } : {}),
    },
    files,
  };
}
