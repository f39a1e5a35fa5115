// Training checkpoints in tfjs's file layout: <dir>/model.json (weightsManifest, metadata) and
// <dir>/weights.bin (little-endian tensors back to back), written with node:fs so no tfjs-node is
// needed. Optimiser buffers travel in the same file as manifest entries with group 'optimizer'.
//
// Saving is atomic: everything is written and fsynced in a sibling temp directory, then renamed into
// place. Replacing an existing checkpoint takes two renames (old -> <dir>.prev, temp -> dir); a kill
// between them leaves <dir>.prev, which loadCheckpoint falls back to. So a kill at any moment
// leaves the previous or the new checkpoint, never a half-written one.

import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const CHECKPOINT_FORMAT = 'dcsp-checkpoint/1';
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

export interface CheckpointData {
  weights: tf.NamedTensorMap;
  /** optimiser state, e.g. MomentumSgd.getState() */
  optimizer?: tf.NamedTensorMap;
  /** iterations completed */
  iteration: number;
  /** any JSON-serialisable metadata (loss history, config, RNG state, ...) */
  extra?: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  weights: tf.NamedTensorMap;
  optimizer: tf.NamedTensorMap;
  iteration: number;
  extra: Record<string, unknown>;
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  group?: 'model' | 'optimizer';
}

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: null;
  weightsManifest: Array<{ paths: string[]; weights: WeightEntry[] }>;
  userDefinedMetadata: { iteration: number; extra: Record<string, unknown> };
}

async function tensorBytes(t: tf.Tensor, name: string): Promise<{ entry: Omit<WeightEntry, 'group'>; bytes: Buffer }> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`checkpoint: tensor '${name}' has dtype ${t.dtype}; only float32 and int32 are stored`);
  const data = (await t.data()) as Float32Array | Int32Array;
  return {
    entry: { name, shape: [...t.shape], dtype: t.dtype },
    bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  };
}

async function writeFileSynced(file: string, data: Buffer | string): Promise<void> {
  const h = await fs.open(file, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export async function saveCheckpoint(dir: string, data: CheckpointData): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  await fs.mkdir(parent, { recursive: true });
  // Leftovers of saves killed before their rename are garbage.
  for (const name of await fs.readdir(parent)) {
    if (name.startsWith(`${base}.tmp-`)) await fs.rm(path.join(parent, name), { recursive: true, force: true });
  }
  const tmp = path.join(parent, `${base}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeCheckpoint(tmp, target, data);
  } catch (err) {
    // a save that fails (a full disk) takes its half-written copy with it, so the space comes back
    // and the previous checkpoint stays the one a resumed run finds; the error names the checkpoint
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    throw Object.assign(new Error(`cannot save checkpoint ${target}: ${e.message.split('\n')[0]}`), { code: e.code, syscall: e.syscall, path: target });
  }
}

async function writeCheckpoint(tmp: string, target: string, data: CheckpointData): Promise<void> {
  const parent = path.dirname(target);
  await fs.mkdir(tmp);

  const entries: WeightEntry[] = [];
  const chunks: Buffer[] = [];
  const groups: Array<['model' | 'optimizer', tf.NamedTensorMap]> = [
    ['model', data.weights],
    ['optimizer', data.optimizer ?? {}],
  ];
  for (const [group, map] of groups) {
    for (const name of Object.keys(map).sort()) {
      const { entry, bytes } = await tensorBytes(map[name], name);
      entries.push({ ...entry, group });
      chunks.push(bytes);
    }
  }
  const json: ModelJson = {
    format: CHECKPOINT_FORMAT,
    generatedBy: `@tensorflow/tfjs ${tf.version_core}`,
    convertedBy: null,
    modelTopology: null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: entries }],
    userDefinedMetadata: { iteration: data.iteration, extra: data.extra ?? {} },
  };
  await writeFileSynced(path.join(tmp, WEIGHTS_BIN), Buffer.concat(chunks));
  await writeFileSynced(path.join(tmp, MODEL_JSON), JSON.stringify(json, null, 1));

  const prev = `${target}.prev`;
  await fs.rm(prev, { recursive: true, force: true });
  if (await exists(target)) await fs.rename(target, prev);
  await fs.rename(tmp, target);
  await fs.rm(prev, { recursive: true, force: true });
  const h = await fs.open(parent, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** The directory holding the newest complete checkpoint for `dir`, or null if there is none. */
export async function findCheckpoint(dir: string): Promise<string | null> {
  const target = path.resolve(dir);
  if (await exists(path.join(target, MODEL_JSON))) return target;
  if (await exists(path.join(`${target}.prev`, MODEL_JSON))) return `${target}.prev`;
  return null;
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const found = await findCheckpoint(dir);
  if (found === null) throw new Error(`no checkpoint at ${dir}`);
  const jsonPath = path.join(found, MODEL_JSON);
  let json: ModelJson;
  try {
    json = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJson;
  } catch (err) {
    throw new Error(`checkpoint ${jsonPath}: unreadable model.json (${(err as Error).message})`);
  }
  if (json.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint ${jsonPath}: format '${json.format}', expected '${CHECKPOINT_FORMAT}'`);
  const out: LoadedCheckpoint = {
    weights: {},
    optimizer: {},
    iteration: json.userDefinedMetadata.iteration,
    extra: json.userDefinedMetadata.extra,
  };
  for (const group of json.weightsManifest) {
    const buffers = await Promise.all(group.paths.map((p) => fs.readFile(path.join(found, p))));
    const bin = Buffer.concat(buffers);
    const expected = group.weights.reduce((n, w) => n + 4 * tf.util.sizeFromShape(w.shape), 0);
    if (bin.length !== expected) {
      throw new Error(`checkpoint ${found}: ${group.paths.join(',')} holds ${bin.length} bytes, manifest says ${expected}`);
    }
    // Copy into an aligned buffer: Buffer slices may start at offsets a Float32Array cannot view.
    const aligned = new Uint8Array(bin.length);
    aligned.set(bin);
    let offset = 0;
    for (const w of group.weights) {
      const n = tf.util.sizeFromShape(w.shape);
      const values = w.dtype === 'int32' ? new Int32Array(aligned.buffer, offset, n) : new Float32Array(aligned.buffer, offset, n);
      offset += 4 * n;
      const t = tf.tensor(values.slice(), w.shape, w.dtype);
      if (w.group === 'optimizer') out.optimizer[w.name] = t;
      else out.weights[w.name] = t;
    }
  }
  return out;
}

/** Copy checkpoint tensors into variables by name; every variable must be present with its shape. */
export function assignWeights(variables: Record<string, tf.Variable>, weights: tf.NamedTensorMap): void {
  for (const [name, v] of Object.entries(variables)) {
    const t = weights[name];
    if (t === undefined) throw new Error(`checkpoint has no weight '${name}'`);
    if (!tf.util.arraysEqual(t.shape, v.shape)) throw new Error(`checkpoint weight '${name}' has shape [${t.shape}], model expects [${v.shape}]`);
    v.assign(t);
  }
}

export function disposeCheckpoint(c: LoadedCheckpoint): void {
  tf.dispose(Object.values(c.weights));
  tf.dispose(Object.values(c.optimizer));
}
