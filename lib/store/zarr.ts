// Zarr v3 arrays on the local file system. Metadata is written by zarrita; chunk bytes are written
// here directly (raw little-endian + gzip, exactly what the codec list declares) because encoding
// 10,000 small item chunks through zarrita's generic `set` costs far more than the data itself.
// Reading goes through zarrita, so every file we write is also proven readable by a Zarr library.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type FileSystemStore from '@zarrita/storage/fs';
import type * as Zarr from 'zarrita';

export type DType = 'uint8' | 'uint16' | 'int32' | 'float32';
export type TypedArrayOf<D extends DType> = D extends 'uint8' ? Uint8Array : D extends 'uint16' ? Uint16Array : D extends 'int32' ? Int32Array : Float32Array;
export type NumericArray = Uint8Array | Uint16Array | Int32Array | Float32Array;

const GZIP_LEVEL = 5;

/** zarrita ships a decode-only gzip codec; this one encodes too (zlib output is deterministic). */
class GzipCodec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(private readonly level: number) {}
  static fromConfig(config: { level?: number }): GzipCodec {
    return new GzipCodec(config.level ?? GZIP_LEVEL);
  }
  encode(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(gzipSync(bytes, { level: this.level }));
  }
  decode(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(gunzipSync(bytes));
  }
}
let loaded: Promise<{ zarr: typeof Zarr; Fs: typeof FileSystemStore }> | null = null;

/** zarrita, loaded on first use (a cached run never touches array data) with our gzip registered. */
function zarrita(): Promise<{ zarr: typeof Zarr; Fs: typeof FileSystemStore }> {
  loaded ??= Promise.all([import('zarrita'), import('@zarrita/storage/fs')]).then(([zarr, fs]) => {
    // zarrita's registry value type is internal; our class satisfies its runtime contract.
    (zarr.registry as Map<string, () => unknown>).set('gzip', () => GzipCodec);
    return { zarr, Fs: fs.default };
  });
  return loaded;
}

export function dtypeOf(data: NumericArray): DType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  return 'float32';
}

export function allocate(dtype: DType, n: number): NumericArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'float32':
      return new Float32Array(n);
  }
}

export function gzipChunk(data: NumericArray): Buffer {
  return gzipSync(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), { level: GZIP_LEVEL });
}

async function storeAt(zarrDir: string): Promise<Zarr.Location<FileSystemStore>> {
  const { zarr, Fs } = await zarrita();
  return zarr.root(new Fs(zarrDir));
}

export async function createGroup(zarrDir: string, attributes: Record<string, unknown> = {}): Promise<void> {
  await mkdir(zarrDir, { recursive: true });
  const { zarr } = await zarrita();
  await zarr.create(await storeAt(zarrDir), { attributes });
}

export interface ArraySpec {
  shape: number[];
  chunkShape: number[];
  dtype: DType;
  attributes?: Record<string, unknown>;
}

/** Writes array metadata; chunk files are then written with `writeChunk`. */
export async function createArray(zarrDir: string, name: string, spec: ArraySpec): Promise<void> {
  const { zarr } = await zarrita();
  await zarr.create((await storeAt(zarrDir)).resolve(name), {
    shape: spec.shape,
    chunkShape: spec.chunkShape,
    dtype: spec.dtype,
    chunkSeparator: '.',
    fillValue: 0,
    codecs: [
      { name: 'bytes', configuration: { endian: 'little' } },
      { name: 'gzip', configuration: { level: GZIP_LEVEL } },
    ],
    attributes: spec.attributes ?? {},
  });
}

export function chunkFile(zarrDir: string, name: string, coords: number[]): string {
  return join(zarrDir, name, ['c', ...coords].join('.'));
}

/** `data` must hold exactly one full chunk (padding included). */
export async function writeChunk(zarrDir: string, name: string, coords: number[], data: NumericArray): Promise<void> {
  await writeFile(chunkFile(zarrDir, name, coords), gzipChunk(data));
}

/** Writes a whole array as a single chunk. */
export async function writeWholeArray(zarrDir: string, name: string, data: NumericArray, shape: number[], attributes?: Record<string, unknown>): Promise<void> {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`array ${name}: shape [${shape}] needs ${n} values, got ${data.length}`);
  // zarr needs at least one element per chunk dimension
  const chunkShape = shape.map((d) => Math.max(1, d));
  await createArray(zarrDir, name, { shape, chunkShape, dtype: dtypeOf(data), attributes });
  if (n > 0)
    await writeChunk(
      zarrDir,
      name,
      shape.map(() => 0),
      data,
    );
}

export interface ReadArray {
  data: NumericArray;
  shape: number[];
}

export async function readArray(zarrDir: string, name: string, selection?: (number | null)[]): Promise<ReadArray> {
  const { zarr } = await zarrita();
  const arr = await zarr.open.v3((await storeAt(zarrDir)).resolve(name), { kind: 'array' });
  let got: Awaited<ReturnType<typeof zarr.get>>;
  try {
    got = await zarr.get(arr, selection ?? null);
  } catch (err) {
    // zarrita's message names neither the array nor the chunk: say which bytes failed
    const at = selection ? ` [${selection.map((v) => (v === null ? ':' : v)).join(', ')}]` : '';
    throw new Error(`${join(zarrDir, name)}${at}: ${(err as Error).message}`, { cause: err });
  }
  return { data: got.data as NumericArray, shape: got.shape };
}

export async function readAttributes(zarrDir: string, name: string): Promise<Record<string, unknown>> {
  const meta = JSON.parse(await readFile(join(zarrDir, name, 'zarr.json'), 'utf8')) as { attributes?: Record<string, unknown> };
  return meta.attributes ?? {};
}
