// Streaming tar / tar.gz extraction that refuses entries escaping the target folder. Extraction goes
// into a temporary sibling folder that is renamed into place only when every entry was written, so
// a crash or a refused entry never leaves a folder that looks complete.

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar, { type ExtractEvents } from 'tar-stream';
import { within } from '../store/inside.ts';
import type { ProgressSink } from '../types.ts';
import { silentProgress } from '../types.ts';

type Entry = ExtractEvents['entry'][1];

export class UnsafeArchiveError extends Error {
  constructor(
    readonly archive: string,
    readonly entry: string,
    reason: string,
  ) {
    super(`${archive}: refusing archive entry '${entry}': ${reason}`);
    this.name = 'UnsafeArchiveError';
  }
}

export interface ExtractOptions {
  /** keep only entries under this archive prefix and drop it, e.g. 'VOCdevkit/VOC2012/' */
  stripPrefix?: string;
  /** after stripping: return false to skip an entry (it is still checked for safety) */
  filter?: (path: string) => boolean;
  /** checked after each extracted entry: return true to stop reading the archive early */
  until?: () => boolean;
  progress?: ProgressSink;
  label?: string;
}

export interface ExtractResult {
  files: number;
  bytes: number;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Copy one entry's body to a file. tar-stream entries are streamx streams, which end with 'close'
 * and no 'end' when the archive is cut short; node's pipeline() does not notice that and would
 * wait forever, so the ending is tracked here.
 */
function writeEntry(entry: Entry, path: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(path);
    let ended = false;
    const fail = (err: Error) => {
      out.destroy();
      reject(err);
    };
    entry.on('end', () => {
      ended = true;
    });
    entry.on('error', fail);
    entry.on('close', () => {
      if (!ended) fail(new Error(`archive ended inside entry '${entry.header.name}'`));
    });
    out.on('error', fail);
    out.on('finish', () => resolvePromise());
    // the archive may have failed while we were creating the folder: then 'close' has already fired
    if (entry.destroyed) return fail(new Error(`archive ended inside entry '${entry.header.name}'`));
    entry.pipe(out);
  });
}

/**
 * Where an archive path lands under `root`, or a reason it may not be extracted. Checked on the raw
 * name, before any prefix stripping, so a hostile entry is refused even if it would be skipped.
 */
function checkEntryPath(root: string, name: string): string | null {
  if (name.includes('\0')) return 'NUL byte in the name';
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return 'absolute path';
  const norm = posix.normalize(name.replace(/\\/g, '/'));
  if (norm === '..' || norm.startsWith('../')) return 'path escapes the target folder';
  if (!within(root, resolve(root, norm))) return 'path escapes the target folder';
  return null;
}

/**
 * Extract `archive` (tar, optionally gzip-compressed) into the existing folder `dir`.
 * Symlinks and hard links are allowed only when they point inside `dir`.
 */
export async function extractInto(archive: string, dir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const root = resolve(dir);
  const progress = opts.progress ?? silentProgress;
  const total = (await stat(archive)).size;
  const gz = await isGzip(archive);
  const prefix = opts.stripPrefix ? opts.stripPrefix.replace(/\/?$/, '/') : '';
  const extract = tar.extract();
  let files = 0;
  let bytes = 0;
  let stoppedEarly = false;
  let lastTick = 0;
  let pendingTick = 0;

  progress.start(total, opts.label ?? `extract ${archive}`);
  const meter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      pendingTick += chunk.length;
      const now = Date.now();
      if (now - lastTick > 250) {
        progress.tick(pendingTick);
        pendingTick = 0;
        lastTick = now;
      }
      cb(null, chunk);
    },
  });
  const feed = gz ? pipeline(createReadStream(archive), meter, createGunzip(), extract) : pipeline(createReadStream(archive), meter, extract);
  // the consumer below drives the extractor; surface feed errors (corrupt gzip) through it
  let feedError: unknown = null;
  feed.catch((err) => {
    feedError = err;
    extract.destroy(err as Error);
  });

  try {
    for await (const entry of extract) {
      const h = entry.header;
      const raw = h.name;
      const why = checkEntryPath(root, raw);
      if (why) {
        entry.resume();
        throw new UnsafeArchiveError(archive, raw, why);
      }
      const norm = posix.normalize(raw.replace(/\\/g, '/')).replace(/^\.\//, '');
      // links are checked against the whole tree even when the entry itself is skipped
      if (h.type === 'symlink' || h.type === 'link') {
        const target = h.linkname ?? '';
        const dest = h.type === 'symlink' ? resolve(root, posix.dirname(norm), target) : resolve(root, posix.normalize(target));
        if (isAbsolute(target) || !within(root, dest)) {
          entry.resume();
          throw new UnsafeArchiveError(archive, raw, `${h.type} to '${target}' points outside the target folder`);
        }
      }
      let rel: string | null = norm;
      if (prefix) rel = norm === prefix.slice(0, -1) ? '' : norm.startsWith(prefix) ? norm.slice(prefix.length) : null;
      if (rel === null || rel === '' || rel === '.' || (opts.filter && !opts.filter(rel))) {
        entry.resume();
        continue;
      }
      const out = join(root, rel);
      if (h.type === 'directory') {
        await mkdir(out, { recursive: true });
        entry.resume();
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        await mkdir(dirname(out), { recursive: true });
        await writeEntry(entry, out);
        files++;
        bytes += h.size ?? 0;
      } else if (h.type === 'symlink') {
        // re-check at the stripped location: a relative target may reach further up from there
        if (!within(root, resolve(dirname(out), h.linkname ?? ''))) {
          throw new UnsafeArchiveError(archive, raw, `symlink to '${h.linkname}' points outside the target folder`);
        }
        await mkdir(dirname(out), { recursive: true });
        await symlink(h.linkname ?? '', out);
        entry.resume();
      } else if (h.type === 'link') {
        let target = posix.normalize(h.linkname ?? '');
        if (prefix) target = target.startsWith(prefix) ? target.slice(prefix.length) : target;
        await mkdir(dirname(out), { recursive: true });
        await link(join(root, target), out);
        entry.resume();
      } else {
        // devices, fifos: never needed for a dataset
        entry.resume();
      }
      if (opts.until?.()) {
        stoppedEarly = true;
        break;
      }
    }
    if (stoppedEarly) {
      extract.destroy();
      await feed.catch(() => {});
    } else {
      await feed;
    }
  } catch (err) {
    extract.destroy();
    await feed.catch(() => {});
    throw feedError && !(err instanceof UnsafeArchiveError) ? new Error(`${archive}: corrupt archive (${(feedError as Error).message})`) : err;
  } finally {
    if (pendingTick) progress.tick(pendingTick);
    progress.done();
  }
  return { files, bytes };
}

/** A fresh temporary folder next to `finalDir` (same filesystem, so the final rename is atomic). */
export async function makeStagingDir(finalDir: string): Promise<string> {
  const dir = `${resolve(finalDir)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Move a completed staging folder to `finalDir`, replacing any previous one. */
export async function commitStagingDir(staging: string, finalDir: string): Promise<void> {
  await rm(finalDir, { recursive: true, force: true });
  await rename(staging, finalDir);
}

/** Extract into `finalDir` atomically: all entries or no folder at all. */
export async function extractArchive(archive: string, finalDir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const staging = await makeStagingDir(finalDir);
  try {
    const result = await extractInto(archive, staging, opts);
    await commitStagingDir(staging, finalDir);
    return result;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
