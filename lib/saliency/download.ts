// Fetch a file once, verify its sha256 while streaming, and only then move it into place. A partial or
// mismatching download never lands under the final name.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

export interface DownloadOptions {
  sha256: string;
  /** expected size in bytes, checked before hashing when given */
  bytes?: number;
  /** progress callback: bytes so far and total (when the server sends Content-Length) */
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/**
 * Make sure `dest` holds the file with the given sha256: keep a verified existing file, otherwise
 * download `url` to a temporary name next to it, check size and hash, and rename. Throws (and leaves
 * nothing under `dest`) on an HTTP error or a checksum mismatch.
 */
export async function ensureDownloaded(url: string, dest: string, opts: DownloadOptions): Promise<string> {
  const want = opts.sha256.toLowerCase();
  const existing = await stat(dest).catch(() => null);
  if (existing?.isFile()) {
    if ((opts.bytes === undefined || existing.size === opts.bytes) && (await sha256File(dest)) === want) return dest;
    throw new Error(`${dest} exists but does not match the pinned sha256 ${want}; delete it to download again`);
  }
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.partial-${process.pid}-${Date.now()}`;
  try {
    const res = await fetch(url, { signal: opts.signal, redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`download of ${url} failed: HTTP ${res.status} ${res.statusText}`);
    const lenHeader = res.headers.get('content-length');
    const total = lenHeader ? Number(lenHeader) : undefined;
    const hash = createHash('sha256');
    let done = 0;
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        done += chunk.length;
        opts.onProgress?.(done, total);
        cb(null, chunk);
      },
    });
    await pipeline(body, tap, createWriteStream(tmp));
    if (opts.bytes !== undefined && done !== opts.bytes) {
      throw new Error(`download of ${url} is ${done} bytes, expected ${opts.bytes}`);
    }
    const got = hash.digest('hex');
    if (got !== want) throw new Error(`checksum mismatch for ${url}: sha256 ${got}, expected ${want}; the file was discarded`);
    await rename(tmp, dest);
    return dest;
  } finally {
    await rm(tmp, { force: true });
  }
}
