// Per-item stages: every item gets its own key (stage code + params + shared context + that item's
// own inputs), so an item computed before, in this run's partial work or in any earlier artifact
// of the stage, is reused and only new or changed items are computed. Finished items land in
// work/items/ one file each; after a crash the next run picks them up, and the artifact assembled
// from them in id order is byte-identical to an uninterrupted run's. A stage that declares its
// items' sizes computes them in batches cut from its whole item list (item-batches.ts), each
// member's key naming its batch, and a batch with anything left to compute is computed whole
// (its reused members' files rewritten with the same key's bytes: the batch is run anyway, and
// one list of ids per task is what every engine, shard and distributed check already carries).
// This module calls the stage's hooks (ids, shared, sizes, summarize) in order; keys
// (item-keys.ts), batches (item-batches.ts), reuse (item-reuse.ts), where the chunks run
// (item-scheduler.ts) and assembly (item-assembly.ts) are modules of their own.
import { mkdir } from 'node:fs/promises';
import type { Json } from '../store/canonical-json.ts';
import { ITEM_STATE, type ItemState } from '../store/manifest.ts';
import type { KeyParts } from '../contract/key.ts';
import type { StageContext, StageDefinition } from '../contract/stage.ts';
import { assembleItems } from './item-assembly.ts';
import { readItemFile, writeItemFile } from './item-file.ts';
import { batchChunks, DEFAULT_CHUNK_SIZE, planBatches } from './item-batches.ts';
import { batchedKeys, itemFileOf, itemKeysOf, itemsDirOf } from './item-keys.ts';
import { reuseItems } from './item-reuse.ts';
import { chunkIds, computeChunks, type ChunkRunner } from './item-scheduler.ts';
import type { ItemTask, ItemTaskResult } from './item-task.ts';
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

export interface PerItemStats {
  items: number;
  computed: number;
  reusedFromWork: number;
  reusedFromCache: number;
}

export async function runPerItem(run: PerItemRun): Promise<{ metrics: Record<string, Json>; stats: PerItemStats }> {
  const { def, ctx } = run;
  const spec = def.perItem!;
  const ids = await spec.ids(ctx);
  if (new Set(ids).size !== ids.length) throw new Error(`stage ${ctx.stage}: item ids are not unique`);
  const shared = ((await run.work.shared?.(ctx)) ?? null) as Json;

  const own = await itemKeysOf(run.keyParts, shared, ids, ctx.inputs);
  const batches = await planBatches(spec, ctx, ids, run.keyParts.numerics);
  const keys = batches ? batchedKeys(own, batches) : own;
  const itemsDir = itemsDirOf(ctx.workDir);
  await mkdir(itemsDir, { recursive: true });
  const itemPath = (key: string): string => itemFileOf(itemsDir, key);
  const reuse = await reuseItems(ids, keys, itemsDir, run.previous);
  const chunkSize = spec.chunkSize ?? DEFAULT_CHUNK_SIZE;
  // a batch with anything to compute is computed whole: its members count as computed
  const batched = batches ? batchChunks(ids, batches, new Set(reuse.todo), chunkSize) : null;
  const computing = batched ? new Set(batched.flatMap((c) => c.ids)) : new Set(reuse.todo);
  const reusedFrom = (where: 'work' | 'cache'): number => reuse.source.filter((s, i) => s === where && !computing.has(ids[i])).length;

  const stats: PerItemStats = { items: ids.length, computed: 0, reusedFromWork: reusedFrom('work'), reusedFromCache: reusedFrom('cache') };
  const { refused } = reuse;
  for (const why of refused.slice(0, 3)) ctx.log(`${ctx.stage}: ${why}; computing it again`);
  if (refused.length > 3) ctx.log(`${ctx.stage}: ${refused.length - 3} more damaged items are computed again`);
  const keyOf = new Map(ids.map((id, i) => [id, keys[i]]));
  if (reuse.todo.length < ids.length) {
    const again = computing.size - reuse.todo.length;
    ctx.log(
      `${ctx.stage}: ${computing.size} of ${ids.length} items to compute (${stats.reusedFromWork} resumed, ${stats.reusedFromCache} reused from earlier artifacts${again > 0 ? `; ${again} found again with their batch` : ''})`,
    );
  }

  const baseTask = {
    module: run.module,
    ...(run.keyParts.numerics ? { numerics: run.keyParts.numerics } : {}),
    ...(run.keyParts.onnx ? { onnxProvider: run.keyParts.onnx.provider } : {}),
    params: ctx.params,
    shared,
    inputs: Object.fromEntries(Object.entries(ctx.inputs).map(([slot, a]) => [slot, a.dir])),
  };
  ctx.progress.start(computing.size, 'items');
  const counted = (n: number): void => {
    stats.computed += n;
    ctx.progress.tick(n);
  };
  await computeChunks({
    tasks: batched ? batched.map((c): ItemTask => ({ ...baseTask, ...c })) : await orderedChunks(run, reuse.todo, chunkSize, baseTask),
    workers: run.workers,
    remote: run.chunks,
    fileOf: (id) => itemPath(keyOf.get(id)!),
    save: async (batch: ItemTaskResult[]) => {
      for (const { id, result } of batch) await writeItemFile(itemPath(keyOf.get(id)!), result);
      counted(batch.length);
    },
    computed: counted,
    signal: ctx.signal,
  });
  ctx.progress.done();

  const metrics = await assembleItems(ctx.out, ids, keys.map(itemPath));
  const summary = run.work.summarize ? await run.work.summarize(ctx, metrics.itemMetrics, ids, (i) => readItemFile(itemPath(keys[i]))) : {};
  await ctx.out.json(ITEM_STATE, { itemKeys: keys, metrics: metrics.itemMetrics, arrays: metrics.arrays } satisfies ItemState);
  return { metrics: summary, stats };
}

/** A stage without batches: the items to compute in its declaration's order (default: as given), cut into chunks. */
async function orderedChunks(run: PerItemRun, todo: string[], chunkSize: number, base: Omit<ItemTask, 'ids'>): Promise<ItemTask[]> {
  const { def, ctx } = run;
  const order = def.perItem!.order ? await def.perItem!.order(ctx, todo) : todo;
  const known = new Set(todo);
  if (order.length !== todo.length || new Set(order).size !== todo.length || order.some((id) => !known.has(id))) {
    throw new Error(`stage ${ctx.stage}: its item order is not a reordering of the items to compute`);
  }
  return chunkIds(order, chunkSize).map((ids) => ({ ...base, ids }));
}
