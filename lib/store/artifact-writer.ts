// Stages write their outputs through this writer into a private `.partial` directory; nothing here
// is visible as a result until `commitArtifact` renames it into place with its manifest.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Json } from './canonical-json.ts';
import { ITEMS, type ItemTable } from './manifest.ts';
import { allocate, createArray, createGroup, dtypeOf, writeChunk, writeWholeArray, type DType, type NumericArray } from './zarr.ts';

export const ZARR_DIR = 'data.zarr';

export interface ItemArray {
  data: NumericArray;
  shape: number[];
}

export class ArtifactWriter {
  private groupReady: Promise<void> | null = null;
  private readonly metricValues: Record<string, Json> = {};

  constructor(readonly dir: string) {}

  get zarrDir(): string {
    return join(this.dir, ZARR_DIR);
  }

  /** Absolute path for a file the stage writes itself (checkpoints, images); parent dirs created. */
  async path(name: string): Promise<string> {
    const p = join(this.dir, name);
    await mkdir(dirname(p), { recursive: true });
    return p;
  }

  async json(name: string, value: unknown): Promise<void> {
    await writeFile(await this.path(name), `${JSON.stringify(value, null, 1)}\n`);
  }

  async text(name: string, value: string | Uint8Array): Promise<void> {
    await writeFile(await this.path(name), value);
  }

  /** A whole (small) array in data.zarr, one chunk. */
  async array(name: string, data: NumericArray, shape: number[], attributes?: Record<string, unknown>): Promise<void> {
    await this.ensureGroup();
    await writeWholeArray(this.zarrDir, name, data, shape, attributes);
  }

  /**
   * A per-item array: shape [N, ...max item shape], one chunk per item (padded with zeros), item
   * ids in the attributes, and `<name>_shapes` [N, ndim] holding each item's true shape. Shapes and
   * dtype come first so the padded chunk size is known before any item is loaded.
   */
  async itemArray(
    name: string,
    ids: string[],
    layout: { shapes: number[][]; dtype: DType },
    get: (index: number) => ItemArray | Promise<ItemArray>,
  ): Promise<void> {
    await this.ensureGroup();
    const { shapes, dtype } = layout;
    if (shapes.length !== ids.length) throw new Error(`item array ${name}: ${ids.length} ids but ${shapes.length} shapes`);
    const ndim = shapes[0]?.length ?? 2;
    for (let i = 0; i < ids.length; i++) {
      if (shapes[i].length !== ndim) throw new Error(`item array ${name}: item ${ids[i]} has ${shapes[i].length} dims, expected ${ndim}`);
    }
    const maxShape = Array.from({ length: ndim }, (_, k) => Math.max(1, ...shapes.map((s) => s[k])));
    await createArray(this.zarrDir, name, {
      shape: [ids.length, ...maxShape],
      chunkShape: [1, ...maxShape],
      dtype,
      attributes: { ids, layout: 'per-item, zero padded; true shapes in <name>_shapes' },
    });
    const chunkSize = maxShape.reduce((a, b) => a * b, 1);
    const chunk = allocate(dtype, chunkSize);
    for (let i = 0; i < ids.length; i++) {
      const item = await get(i);
      if (dtypeOf(item.data) !== dtype) throw new Error(`item array ${name}: item ${ids[i]} is ${dtypeOf(item.data)}, expected ${dtype}`);
      if (item.shape.some((d, k) => d !== shapes[i][k])) throw new Error(`item array ${name}: item ${ids[i]} changed shape`);
      chunk.fill(0);
      padInto(chunk, maxShape, item);
      await writeChunk(this.zarrDir, name, [i, ...maxShape.map(() => 0)], chunk);
    }
    const flatShapes = new Int32Array(ids.length * ndim);
    shapes.forEach((s, i) => {
      flatShapes.set(s, i * ndim);
    });
    await writeWholeArray(this.zarrDir, `${name}_shapes`, flatShapes, [ids.length, ndim]);
  }

  /** Declares the artifact's item table (ids + per-item content hashes) for item-level reuse downstream. */
  async items(table: ItemTable): Promise<void> {
    if (table.ids.length !== table.hashes.length) throw new Error('item table: ids and hashes differ in length');
    await writeFile(join(this.dir, ITEMS), JSON.stringify(table));
  }

  metrics(values: Record<string, Json>): void {
    Object.assign(this.metricValues, values);
  }

  get collectedMetrics(): Record<string, Json> {
    return this.metricValues;
  }

  private ensureGroup(): Promise<void> {
    this.groupReady ??= createGroup(this.zarrDir);
    return this.groupReady;
  }
}

/**
 * Visits the rows (last-axis runs) of an item of `shape` laid out inside a zero-padded chunk of
 * `maxShape`, both row-major: `row` gets the row's offset in the item and in the chunk.
 */
function forEachRow(shape: number[], maxShape: number[], row: (itemOffset: number, chunkOffset: number, length: number) => void): void {
  const nd = shape.length;
  const rowLen = shape[nd - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const index = new Array<number>(nd - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = 0;
    for (let k = 0; k < nd - 1; k++) offset = offset * maxShape[k] + index[k];
    row(r * rowLen, offset * maxShape[nd - 1], rowLen);
    for (let k = nd - 2; k >= 0; k--) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
}

/** Copies an item into the top-left corner of a zero-filled chunk of shape maxShape. */
function padInto(chunk: NumericArray, maxShape: number[], item: ItemArray): void {
  const n = item.shape.reduce((a, b) => a * b, 1);
  if (item.data.length !== n) throw new Error(`item of shape [${item.shape}] holds ${item.data.length} values`);
  if (item.shape.every((d, k) => d === maxShape[k])) chunk.set(item.data);
  else forEachRow(item.shape, maxShape, (at, to, len) => chunk.set(item.data.subarray(at, at + len), to));
}

/** Inverse of padInto: crops an item out of a padded chunk. */
export function cropFrom(chunk: NumericArray, maxShape: number[], shape: number[]): NumericArray {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.every((d, k) => d === maxShape[k])) return chunk.slice(0, n);
  const out = allocate(dtypeOf(chunk), n);
  forEachRow(shape, maxShape, (at, from, len) => out.set(chunk.subarray(from, from + len), at));
  return out;
}
