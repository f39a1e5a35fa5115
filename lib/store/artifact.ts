// Read side of an artifact. Stages receive their inputs as `Artifact`s; item reads are cached per
// array so a worker reading thousands of items opens each array's metadata once.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ZARR_DIR, cropFrom } from './artifact-writer.ts';
import { FILES, ITEMS, ITEM_STATE, readJsonFile, readManifest, type FileEntry, type ItemState, type ItemTable, type Manifest } from './manifest.ts';
import { readArray, readAttributes, type NumericArray, type ReadArray } from './zarr.ts';

export interface Item {
  data: NumericArray;
  shape: number[];
}

export class ItemArrayReader {
  private readonly index = new Map<string, number>();

  constructor(
    private readonly zarrDir: string,
    readonly name: string,
    readonly ids: string[],
    private readonly shapes: Int32Array,
    private readonly maxShape: number[],
  ) {
    ids.forEach((id, i) => {
      this.index.set(id, i);
    });
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  shapeOf(id: string): number[] {
    const i = this.indexOf(id);
    const nd = this.maxShape.length;
    return Array.from(this.shapes.subarray(i * nd, (i + 1) * nd));
  }

  async read(id: string): Promise<Item> {
    const i = this.indexOf(id);
    const got = await readArray(this.zarrDir, this.name, [i, ...this.maxShape.map(() => null)]);
    const shape = this.shapeOf(id);
    return { data: cropFrom(got.data, this.maxShape, shape), shape };
  }

  private indexOf(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`item array ${this.name}: no item ${id}`);
    return i;
  }
}

export class Artifact {
  private readonly itemArrays = new Map<string, Promise<ItemArrayReader>>();

  constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {}

  static async open(dir: string): Promise<Artifact> {
    const m = await readManifest(dir);
    if (!m) throw new Error(`${dir} is not a committed artifact (no valid manifest.json)`);
    return new Artifact(dir, m);
  }

  get stage(): string {
    return this.manifest.stage;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async json<T>(name: string): Promise<T> {
    return readJsonFile<T>(this.path(name));
  }

  async bytes(name: string): Promise<Buffer> {
    return readFile(this.path(name));
  }

  async array(name: string): Promise<ReadArray> {
    return readArray(join(this.dir, ZARR_DIR), name);
  }

  items(name: string): Promise<ItemArrayReader> {
    let r = this.itemArrays.get(name);
    if (!r) {
      r = this.openItems(name);
      this.itemArrays.set(name, r);
    }
    return r;
  }

  async itemTable(): Promise<ItemTable | null> {
    if (!this.manifest.hasItems) return null;
    return readJsonFile<ItemTable>(this.path(ITEMS));
  }

  async itemState(): Promise<ItemState | null> {
    try {
      return await readJsonFile<ItemState>(this.path(ITEM_STATE));
    } catch {
      return null;
    }
  }

  async files(): Promise<FileEntry[]> {
    return readJsonFile<FileEntry[]>(this.path(FILES));
  }

  private async openItems(name: string): Promise<ItemArrayReader> {
    const zarrDir = join(this.dir, ZARR_DIR);
    const attrs = await readAttributes(zarrDir, name);
    const ids = attrs.ids as string[] | undefined;
    if (!Array.isArray(ids)) throw new Error(`${this.stage}: ${name} is not a per-item array`);
    const shapes = await readArray(zarrDir, `${name}_shapes`);
    const meta = JSON.parse(await readFile(join(zarrDir, name, 'zarr.json'), 'utf8')) as { shape: number[] };
    return new ItemArrayReader(zarrDir, name, ids, shapes.data as Int32Array, meta.shape.slice(1));
  }
}
