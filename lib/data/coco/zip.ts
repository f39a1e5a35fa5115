// Reading COCO's zips by their central directory: the entry list comes from the end of the file
// without reading the rest, so an image zip is checked against the instances file (every listed
// image present, the published count) before 13 GB are extracted, and each wanted entry is then
// read at its offset and inflated natively. train2014.zip is over 4 GB, so ZIP64 records are read.
// A streaming reader (fflate's Unzip, which DUTS uses) would have to find entries by scanning for
// signatures and would keep the bytes of the entries it skips.

import { open, type FileHandle } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import { InputError } from '../../errors.ts';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** offset of the entry's local header */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;
/** the ZIP64 end-of-central-directory locator's size: it sits right before the end record */
const LOCATOR_BYTES = 0x14;

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

const u64 = (b: Buffer, at: number): number => Number(b.readBigUInt64LE(at));

/** The entries of a zip file, in central-directory order. A file that is not a whole zip is an InputError naming it. */
export async function listZip(file: string): Promise<ZipEntry[]> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const bad = (why: string): never => {
      throw new InputError(`${file}: not a readable zip archive (${why})`);
    };
    // the end record is within the last 22 + 65,535 (comment) bytes
    const tailStart = Math.max(0, size - 22 - 0xffff);
    const tail = await readAt(fh, tailStart, size - tailStart);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) bad('no end-of-central-directory record');
    let count = tail.readUInt16LE(at + 10);
    let cdSize = tail.readUInt32LE(at + 12);
    let cdOffset = tail.readUInt32LE(at + 16);
    if (at >= LOCATOR_BYTES && tail.readUInt32LE(at - LOCATOR_BYTES) === ZIP64_LOCATOR) {
      const rec = await readAt(fh, u64(tail, at - LOCATOR_BYTES + 8), 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) bad('a ZIP64 locator that points at no ZIP64 record');
      count = u64(rec, 32);
      cdSize = u64(rec, 40);
      cdOffset = u64(rec, 48);
    }
    if (cdOffset + cdSize > size) bad(`its central directory ends at byte ${cdOffset + cdSize} of ${size}: the file is cut short`);
    const cd = await readAt(fh, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) bad(`central directory entry ${n} is damaged`);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const entry: ZipEntry = {
        name: cd.toString('utf8', p + 46, p + 46 + nameLength),
        method: cd.readUInt16LE(p + 10),
        crc: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 0x14),
        size: cd.readUInt32LE(p + 24),
        headerOffset: cd.readUInt32LE(p + 42),
      };
      // ZIP64 extra field: the 64-bit values of the fields that hold 0xFFFFFFFF, in this order
      let e = p + 46 + nameLength;
      const end = e + extraLength;
      while (e + 4 <= end) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 1) {
          let q = e + 4;
          for (const field of ['size', 'compressedSize', 'headerOffset'] as const) {
            if (entry[field] === MAX32) {
              entry[field] = u64(cd, q);
              q += 8;
            }
          }
        }
        e += 4 + len;
      }
      entries.push(entry);
      p = end + commentLength;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/** An open zip whose entries are read one at a time, checked against their CRC. */
export class ZipReader {
  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(file: string): Promise<ZipReader> {
    return new ZipReader(file, await open(file, 'r'));
  }

  async read(entry: ZipEntry): Promise<Buffer> {
    const bad = (why: string): never => {
      throw new InputError(`${this.file}: entry '${entry.name}' ${why}`);
    };
    const header = await readAt(this.fh, entry.headerOffset, 30);
    if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) bad('has no local header where the directory says');
    const start = entry.headerOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const raw = await readAt(this.fh, start, entry.compressedSize);
    if (raw.length !== entry.compressedSize) bad('is cut short');
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        return bad(`does not inflate (${(err as Error).message})`);
      }
    } else return bad(`uses compression method ${entry.method}, which is not read here`);
    if (data.length !== entry.size || crc32(data) !== entry.crc) bad('is damaged (its size or CRC-32 is not the recorded one)');
    return data;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
