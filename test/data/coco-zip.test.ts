// The zip reader COCO's archives go through: entries listed from the central directory (ZIP64
// records included, as train2014.zip's 13 GB need), read at their offsets, stored or deflated,
// and a damaged or cut zip refused with the file (and entry) named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { listZip, ZipReader } from '../../lib/data/coco/zip.ts';
import { InputError } from '../../lib/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-coco-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + (i >> 3)) & 0xff);

async function readAll(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const r = await ZipReader.open(file);
  try {
    for (const e of await listZip(file)) out.set(e.name, await r.read(e));
  } finally {
    await r.close();
  }
  return out;
}

/**
 * A zip whose sizes and offsets are all in ZIP64 records (the central directory's fields hold
 * 0xFFFFFFFF, the end record's counts 0xFFFF), as a writer makes them past 4 GB; stored entries.
 */
function zip64(files: Record<string, Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    parts.push(local, n, Buffer.from(data));
    const extra = Buffer.alloc(28);
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(data.length), 4);
    extra.writeBigUInt64LE(BigInt(data.length), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(45, 6);
    c.writeUInt32LE(crc32(data), 16);
    c.writeUInt32LE(0xffffffff, 20);
    c.writeUInt32LE(0xffffffff, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(0xffffffff, 42);
    central.push(c, n, extra);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const count = Object.keys(files).length;
  const rec = Buffer.alloc(56);
  rec.writeUInt32LE(0x06064b50, 0);
  rec.writeBigUInt64LE(44n, 4);
  rec.writeBigUInt64LE(BigInt(count), 24);
  rec.writeBigUInt64LE(BigInt(count), 32);
  rec.writeBigUInt64LE(BigInt(cd.length), 40);
  rec.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...parts, cd, rec, locator, end]);
}

describe('the COCO zip reader', () => {
  const files = { 'val2014/': new Uint8Array(0), 'val2014/a.jpg': bytes(5000, 7), 'val2014/b.jpg': bytes(300, 13) };

  it('reads stored and deflated entries by their central directory', async () => {
    for (const level of [0, 6] as const) {
      const file = join(dir, `plain-${level}.zip`);
      writeFileSync(file, zipSync(files, { level }));
      const entries = await listZip(file);
      expect(entries.map((e) => e.name)).toEqual(Object.keys(files));
      expect(entries[1].method).toBe(level === 0 ? 0 : 8);
      const got = await readAll(file);
      for (const [name, data] of Object.entries(files)) expect(got.get(name)?.equals(Buffer.from(data)), name).toBe(true);
    }
  });

  it('reads ZIP64 records: the end record, and sizes and offsets in the extra field', async () => {
    const file = join(dir, 'zip64.zip');
    writeFileSync(file, zip64(files));
    const entries = await listZip(file);
    expect(entries.map((e) => [e.name, e.size, e.compressedSize])).toEqual(Object.entries(files).map(([n, d]) => [n, d.length, d.length]));
    expect(entries[2].headerOffset).toBe(30 + 8 + 30 + 13 + 5000);
    const got = await readAll(file);
    expect(got.get('val2014/b.jpg')?.equals(Buffer.from(files['val2014/b.jpg']))).toBe(true);
  });

  it('refuses a cut zip and a damaged entry, naming the file and the entry', async () => {
    const whole = Buffer.from(zipSync(files, { level: 0 }));
    const cut = join(dir, 'cut.zip');
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    await expect(listZip(cut)).rejects.toThrow(InputError);
    await expect(listZip(cut)).rejects.toThrow(`${cut}: not a readable zip archive`);
    const damaged = Buffer.from(whole);
    damaged[30 + 8 + 30 + 13 + 100] ^= 0xff; // a byte inside a.jpg's data
    const bad = join(dir, 'damaged.zip');
    writeFileSync(bad, damaged);
    await expect(readAll(bad)).rejects.toThrow(`${bad}: entry 'val2014/a.jpg' is damaged (its size or CRC-32 is not the recorded one)`);
  });
});
