// Shared fixtures for the data tests: temp folders, tar building, a small toy set.

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { generateToyDataset, type ToyOptionsInput } from '../../lib/data/toy-generate.ts';

export async function tempDir(prefix = 'dcsp-data-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export type TarEntry =
  | { name: string; data: Buffer | string }
  | { name: string; type: 'symlink' | 'link'; linkname: string }
  | { name: string; type: 'directory' };

export async function buildTar(entries: TarEntry[], gzip = false): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((res, rej) => {
    pack.on('end', res);
    pack.on('error', rej);
  });
  for (const e of entries) {
    const mtime = new Date(0);
    if ('data' in e) pack.entry({ name: e.name, mtime }, typeof e.data === 'string' ? Buffer.from(e.data) : e.data);
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mtime });
    else pack.entry({ name: e.name, type: e.type, linkname: e.linkname, mtime });
  }
  pack.finalize();
  await done;
  const tarBuf = Buffer.concat(chunks);
  return gzip ? gzipSync(tarBuf) : tarBuf;
}

/** every file under dir as relative path -> bytes */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (rel: string) => {
    for (const ent of await readdir(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) await walk(r);
      else out.set(r, await readFile(join(dir, r)));
    }
  };
  await walk('');
  return out;
}

export const SMALL_TOY: ToyOptionsInput = { seed: 7, counts: { train: 30, val: 20, test: 5 }, minSize: 56, maxSize: 72 };

export async function makeSmallToy(dir: string, opts: ToyOptionsInput = SMALL_TOY): Promise<string> {
  await generateToyDataset(dir, opts);
  return dir;
}

/** Serve `files` (URL path -> bytes) on 127.0.0.1 at a free port; `requests` records every path asked for. */
export async function serveFiles(files: Map<string, Uint8Array>): Promise<{ base: string; requests: string[]; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(Buffer.from(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as import('node:net').AddressInfo;
  return { base: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
