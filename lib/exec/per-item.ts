// Per-item stages: every item gets its own key (stage code + params + shared context + that item's
// own inputs), so an item computed before, in this run's partial work or in any earlier artifact
// of the stage, is reused and only new or changed items are computed. Finished items land in
// work/items/ one file each; after a crash the next run picks them up, and the artifact assembled
// from them in id order is byte-identical to an uninterrupted run's.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { libFile } from '../paths.ts';
import { Artifact } from '../store/artifact.ts';
import type { ArtifactWriter } from '../store/artifact-writer.ts';
import type { Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import { ITEM_STATE, type ItemState } from '../store/manifest.ts';
import { dtypeOf } from '../store/zarr.ts';
import { DamagedItemError, readItemFile, writeItemFile } from './item-file.ts';
import { runItemTask, type ItemTask } from './item-task.ts';
import { itemKey, type KeyParts } from '../stage/key.ts';
import type { ItemResult, StageContext, StageDefinition } from '../stage/stage.ts';
import type { AnyItemWork } from './stage-work.ts';

export interface PerItemRun {
  def: StageDefinition;
  /** the stage's work module's hooks (stage-work.ts): shared and summarize run here */
  work: AnyItemWork;
  module: string;
  ctx: StageContext<Record<string, unknown>>;
  keyParts: KeyParts;
  /** committed artifacts of this stage, searched for reusable items */
  previous: string[];
  workers: number;
  /** computes the chunks elsewhere (lib/distributed/chunks.ts) instead of on this machine's threads */
  chunks?: ChunkRunner;
}

/** Another engine for the chunks: each chunk's items are computed and their files written there. */
export interface ChunkRunner {
  run(tasks: ItemTask[], fileOf: (id: string) => string, computed: (n: number) => void, signal: AbortSignal): Promise<void>;
}

export interface PerItemStats {
  items: number;
  computed: number;
  reusedFromWork: number;
  reusedFromCache: number;
}

let computingHere = false;

export async function runPerItem(run: PerItemRun): Promise<{ metrics: Record<string, Json>; stats: PerItemStats }> {
  const { def, ctx } = run;
  const spec = def.perItem!;
  const ids = await spec.ids(ctx);
  if (new Set(ids).size !== ids.length) throw new Error(`stage ${ctx.stage}: item ids are not unique`);
  const shared = ((await run.work.shared?.(ctx)) ?? null) as Json;

  const keys = await itemKeysOf(run.keyParts, shared, ids, ctx.inputs);
  const itemsDir = itemsDirOf(ctx.workDir);
  await mkdir(itemsDir, { recursive: true });
  const itemPath = (key: string): string => itemFileOf(itemsDir, key);
  const inWork = new Set((await readdir(itemsDir)).filter((f) => f.endsWith('.item')).map((f) => f.slice(0, -5)));
  const earlier = await indexPrevious(run.previous);

  const stats: PerItemStats = { items: ids.length, computed: 0, reusedFromWork: 0, reusedFromCache: 0 };
  const todo: string[] = [];
  const refused: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (inWork.has(keys[i]) && (await intactItemFile(itemPath(keys[i]), refused))) stats.reusedFromWork++;
    else if (earlier.has(keys[i]) && (await reuseEarlier(earlier.get(keys[i])!, itemPath(keys[i]), refused))) stats.reusedFromCache++;
    else todo.push(ids[i]);
  }
  for (const why of refused.slice(0, 3)) ctx.log(`${ctx.stage}: ${why}; computing it again`);
  if (refused.length > 3) ctx.log(`${ctx.stage}: ${refused.length - 3} more damaged items are computed again`);
  const keyOf = new Map(ids.map((id, i) => [id, keys[i]]));
  if (stats.reusedFromWork + stats.reusedFromCache > 0) {
    ctx.log(`${ctx.stage}: ${todo.length} of ${ids.length} items to compute (${stats.reusedFromWork} resumed, ${stats.reusedFromCache} reused from earlier artifacts)`);
  }

  const baseTask = {
    module: run.module,
    ...(run.keyParts.numerics ? { numerics: run.keyParts.numerics } : {}),
    params: ctx.params,
    shared,
    inputs: Object.fromEntries(Object.entries(ctx.inputs).map(([slot, a]) => [slot, a.dir])),
  };
  const chunkSize = Math.max(1, spec.chunkSize ?? 8);
  const chunks: string[][] = [];
  for (let i = 0; i < todo.length; i += chunkSize) chunks.push(todo.slice(i, i + chunkSize));

  ctx.progress.start(todo.length, 'items');
  const counted = (n: number): void => {
    stats.computed += n;
    ctx.progress.tick(n);
  };
  const save = async (batch: { id: string; result: ItemResult }[]): Promise<void> => {
    for (const { id, result } of batch) await writeItemFile(itemPath(keyOf.get(id)!), result);
    counted(batch.length);
  };
  if (chunks.length > 0 && run.chunks) {
    await run.chunks.run(chunks.map((ids): ItemTask => ({ ...baseTask, ids })), (id) => itemPath(keyOf.get(id)!), counted, ctx.signal);
  } else if (chunks.length > 0) {
    // items run side by side on `threads` JS threads, each op on one TensorFlow thread (the
    // stage's numerics, set up by stage-runner.ts): a pool under each would oversubscribe the cores
    const threads = Math.min(run.workers, chunks.length);
    // One stage at a time computes items on this thread: two would share one tfjs engine and one
    // item environment, interleaved at every await. A second one gets a worker thread of its own.
    if (threads <= 1 && !computingHere) {
      computingHere = true;
      try {
        for (const ids of chunks) {
          ctx.signal.throwIfAborted();
          await save(await runItemTask({ ...baseTask, ids }));
        }
      } finally {
        computingHere = false;
      }
    } else {
      await runOnPool(Math.max(1, threads), chunks.map((ids): ItemTask => ({ ...baseTask, ids })), save, ctx.signal);
    }
  }
  ctx.progress.done();

  const metrics = await assemble(ctx.out, ids, keys.map(itemPath));
  const summary = run.work.summarize ? await run.work.summarize(ctx, metrics.itemMetrics, ids, (i) => readItemFile(itemPath(keys[i]))) : {};
  await ctx.out.json(ITEM_STATE, { itemKeys: keys, metrics: metrics.itemMetrics, arrays: metrics.arrays } satisfies ItemState);
  return { metrics: summary, stats };
}

/** An input as item keys read it: its content hash, and its item table when it has one. */
export type KeyedInput = Pick<Artifact, 'manifest' | 'itemTable'>;

/**
 * Each item's key: the stage's recipe, the shared context, the id and the item's own inputs (its
 * entry in an input's item table, else that input's content hash). A worker checks a chunk's item
 * files against these before it writes them.
 */
export async function itemKeysOf(parts: KeyParts, shared: Json, ids: string[], inputs: Record<string, KeyedInput>): Promise<string[]> {
  const tables = new Map<string, Map<string, string>>();
  for (const [slot, art] of Object.entries(inputs)) {
    const table = await art.itemTable();
    if (table) tables.set(slot, new Map(table.ids.map((id, i) => [id, table.hashes[i]])));
  }
  return ids.map((id) => {
    const own: Record<string, string> = {};
    for (const [slot, art] of Object.entries(inputs)) own[slot] = tables.get(slot)?.get(id) ?? art.manifest.contentHash;
    return itemKey(parts, shared, id, own);
  });
}

/** Where a per-item stage keeps its finished items: in its work folder, one file per item key. */
export function itemsDirOf(workDir: string): string {
  return join(workDir, 'items');
}

export function itemFileOf(itemsDir: string, key: string): string {
  return join(itemsDir, `${key}.item`);
}

async function runOnPool(
  threads: number,
  tasks: ItemTask[],
  save: (batch: { id: string; result: ItemResult }[]) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const { default: Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename: pathToFileURL(libFile('exec/item-worker.mjs')).href, minThreads: threads, maxThreads: threads });
  let failure: Error | null = null;
  let next = 0;
  // results are saved in completion order; assembly later restores id order
  const lane = async (): Promise<void> => {
    while (!failure && next < tasks.length && !signal.aborted) {
      const task = tasks[next++];
      try {
        await save((await pool.run(task)) as { id: string; result: ItemResult }[]);
      } catch (err) {
        failure ??= err as Error;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: threads }, lane));
  } finally {
    await pool.destroy();
  }
  if (failure) throw failure;
  signal.throwIfAborted();
}

/** Writes every per-item array into the artifact (id order) and its item table. */
async function assemble(
  out: ArtifactWriter,
  ids: string[],
  files: string[],
): Promise<{ itemMetrics: (Record<string, Json> | null)[]; arrays: string[] }> {
  const headers: { shapes: Record<string, number[]>; dtypes: Record<string, ReturnType<typeof dtypeOf>>; metrics: Record<string, Json> | null; hash: string }[] = [];
  for (const f of files) {
    if (!existsSync(f)) throw new Error(`item file ${f} vanished before assembly`);
    const r = await readItemFile(f);
    const shapes: Record<string, number[]> = {};
    const dtypes: Record<string, ReturnType<typeof dtypeOf>> = {};
    for (const [name, a] of Object.entries(r.arrays)) {
      shapes[name] = a.shape;
      dtypes[name] = dtypeOf(a.data);
    }
    headers.push({ shapes, dtypes, metrics: r.metrics ?? null, hash: itemContentHash(r) });
  }
  const names = [...new Set(headers.flatMap((h) => Object.keys(h.shapes)))].sort();
  for (const name of names) {
    const missing = ids.filter((_, i) => !headers[i].shapes[name]);
    if (missing.length) throw new Error(`per-item array ${name} missing for items ${missing.slice(0, 5).join(', ')}`);
    await out.itemArray(name, ids, { shapes: headers.map((h) => h.shapes[name]), dtype: headers[0].dtypes[name] }, async (i) => {
      return (await readItemFile(files[i])).arrays[name];
    });
  }
  await out.items({ ids, hashes: headers.map((h) => h.hash) });
  return { itemMetrics: headers.map((h) => h.metrics), arrays: names };
}

/** An item's content hash, as the artifact's item table records it. */
function itemContentHash(r: ItemResult): string {
  const parts: (string | Uint8Array)[] = [];
  for (const [name, a] of Object.entries(r.arrays).sort(([x], [y]) => (x < y ? -1 : 1))) {
    parts.push(name, a.shape.join(','), new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  return sha256(...parts);
}

/** A finished item of this key's earlier, killed run; a damaged one is removed and recomputed. */
async function intactItemFile(path: string, refused: string[]): Promise<boolean> {
  try {
    await readItemFile(path);
    return true;
  } catch (err) {
    if (!(err instanceof DamagedItemError)) throw err;
    refused.push(err.message);
    await rm(path, { force: true });
    return false;
  }
}

/** Copies an item out of an earlier artifact when what is read is what its item table records. */
async function reuseEarlier(item: EarlierItem, path: string, refused: string[]): Promise<boolean> {
  const { artifact, id, arrays, metrics } = item;
  const result: ItemResult = { arrays: {}, metrics: metrics ?? undefined };
  try {
    for (const name of arrays) result.arrays[name] = await (await artifact.items(name)).read(id);
  } catch (err) {
    refused.push(`item ${id} of ${artifact.dir} cannot be read (${(err as Error).message})`);
    return false;
  }
  if (itemContentHash(result) !== item.hash) {
    refused.push(`item ${id} of ${artifact.dir} does not match its recorded hash`);
    return false;
  }
  await writeItemFile(path, result);
  return true;
}

interface EarlierItem {
  artifact: Artifact;
  id: string;
  arrays: string[];
  metrics: Record<string, Json> | null;
  /** its content hash in that artifact's item table */
  hash: string;
}

async function indexPrevious(dirs: string[]): Promise<Map<string, EarlierItem>> {
  const index = new Map<string, EarlierItem>();
  for (const dir of dirs) {
    let artifact: Artifact;
    try {
      artifact = await Artifact.open(dir);
    } catch {
      continue;
    }
    const state = await artifact.itemState();
    const table = await artifact.itemTable();
    if (!state || !table || state.itemKeys.length !== table.ids.length) continue;
    state.itemKeys.forEach((key, i) => {
      if (!index.has(key)) index.set(key, { artifact, id: table.ids[i], arrays: state.arrays, metrics: state.metrics[i] ?? null, hash: table.hashes[i] });
    });
  }
  return index;
}
