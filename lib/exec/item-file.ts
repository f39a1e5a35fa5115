// One computed item on disk while its stage is in progress: a small JSON header (array names,
// dtypes, shapes, metrics, the payload's sha256) followed by the raw array bytes. Written to a temp
// name, flushed and renamed, so a kill leaves either the whole item or nothing: finished items are
// the resume record. A file that is short, long or altered is refused on read, never padded.
import { open, readFile, rename } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { ItemResult } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { allocate, dtypeOf, type DType } from '../store/zarr.ts';

interface Header {
  arrays: { name: string; dtype: DType; shape: number[]; bytes: number }[];
  metrics: Record<string, Json> | null;
  /** of the array bytes, in header order */
  sha256: string;
}

/** A work file that cannot be the item it claims to be (truncated, extended or altered). */
export class DamagedItemError extends Error {}

export async function writeItemFile(path: string, result: ItemResult): Promise<void> {
  const names = Object.keys(result.arrays).sort();
  const payload = names.map((name) => {
    const d = result.arrays[name].data;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  });
  const hash = createHash('sha256');
  for (const part of payload) hash.update(part);
  const header: Header = {
    arrays: names.map((name) => {
      const a = result.arrays[name];
      const n = a.shape.reduce((x, y) => x * y, 1);
      if (n !== a.data.length) throw new Error(`item array ${name}: shape [${a.shape}] needs ${n} values, got ${a.data.length}`);
      return { name, dtype: dtypeOf(a.data), shape: a.shape, bytes: a.data.byteLength };
    }),
    metrics: result.metrics ?? null,
    sha256: hash.digest('hex'),
  };
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(Buffer.concat([len, head, ...payload]));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function readItemFile(path: string): Promise<ItemResult> {
  const buf = await readFile(path);
  const damaged = (why: string): DamagedItemError => new DamagedItemError(`item file ${path} is damaged: ${why}`);
  if (buf.length < 4) throw damaged(`${buf.length} bytes`);
  const headLen = buf.readUInt32LE(0);
  if (buf.length < 4 + headLen) throw damaged(`${buf.length} bytes, cut inside its header`);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(4, 4 + headLen).toString('utf8')) as Header;
  } catch {
    throw damaged('unreadable header');
  }
  if (!Array.isArray(header?.arrays)) throw damaged('unreadable header');
  let offset = 4 + headLen;
  const expected = offset + header.arrays.reduce((n, a) => n + a.bytes, 0);
  if (buf.length !== expected) throw damaged(`${buf.length} bytes, its header describes ${expected}`);
  if (createHash('sha256').update(buf.subarray(offset)).digest('hex') !== header.sha256) throw damaged('its arrays do not match their checksum');
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
