// One computed item on disk while its stage is in progress: a small JSON header (array names,
// dtypes, shapes, metrics) followed by the raw array bytes. Written to a temp name and renamed, so
// a kill leaves either the whole item or nothing: finished items are the resume record.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { ItemResult } from './stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { allocate, dtypeOf, type DType } from '../store/zarr.ts';

interface Header {
  arrays: { name: string; dtype: DType; shape: number[]; bytes: number }[];
  metrics: Record<string, Json> | null;
}

export async function writeItemFile(path: string, result: ItemResult): Promise<void> {
  const names = Object.keys(result.arrays).sort();
  const header: Header = {
    arrays: names.map((name) => {
      const a = result.arrays[name];
      const n = a.shape.reduce((x, y) => x * y, 1);
      if (n !== a.data.length) throw new Error(`item array ${name}: shape [${a.shape}] needs ${n} values, got ${a.data.length}`);
      return { name, dtype: dtypeOf(a.data), shape: a.shape, bytes: a.data.byteLength };
    }),
    metrics: result.metrics ?? null,
  };
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  const parts: Uint8Array[] = [len, head];
  for (const name of names) {
    const d = result.arrays[name].data;
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, Buffer.concat(parts));
  await rename(tmp, path);
}

export async function readItemFile(path: string): Promise<ItemResult> {
  const buf = await readFile(path);
  const headLen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + headLen).toString('utf8')) as Header;
  let offset = 4 + headLen;
  const arrays: ItemResult['arrays'] = {};
  for (const a of header.arrays) {
    const data = allocate(a.dtype, a.bytes / bytesPer(a.dtype));
    new Uint8Array(data.buffer).set(buf.subarray(offset, offset + a.bytes));
    offset += a.bytes;
    arrays[a.name] = { data, shape: a.shape };
  }
  return { arrays, metrics: header.metrics ?? undefined };
}

function bytesPer(d: DType): number {
  return d === 'uint8' ? 1 : d === 'uint16' ? 2 : 4;
}
