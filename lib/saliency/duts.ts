// DUTS-TR (Wang et al., CVPR 2017), the salient-object training set DHSNet-style detectors use:
// 10,553 images with binary masks, one zip from the authors' site. The site publishes no checksum,
// so what is checked instead is the content: every image has its mask and the count is the
// published one, as the VOC test tar is checked by its id list. Prepared once under the cache's
// data folder and shared by every run.

import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, posix } from 'node:path';
import { Unzip, UnzipInflate } from 'fflate';
import { downloadFile } from '../data/download.ts';
import { withMirror } from '../data/mirrors.ts';
import { silentProgress, type ProgressSink } from '../types.ts';

export const DUTS_TR = {
  url: 'http://saliencydetection.net/duts/download/DUTS-TR.zip',
  filename: 'DUTS-TR.zip',
  pairs: 10553,
  images: 'DUTS-TR/DUTS-TR-Image',
  masks: 'DUTS-TR/DUTS-TR-Mask',
} as const;

export interface DutsOptions {
  /** a mirror (or a test server) instead of the authors' URL */
  url?: string;
  /** image / mask pairs the archive must hold (default 10,553) */
  pairs?: number;
  progress?: ProgressSink;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DutsFolders {
  images: string;
  masks: string;
}

const DONE = '.complete';

/** Download (resumable), extract and check DUTS-TR under `dataDir/duts`; returns its two folders. */
export async function prepareDuts(dataDir: string, opts: DutsOptions = {}): Promise<DutsFolders> {
  const root = join(dataDir, 'duts');
  const folders = { images: join(root, DUTS_TR.images), masks: join(root, DUTS_TR.masks) };
  if (await exists(join(root, DONE))) return folders;
  // the authors publish no checksum; a mirror may pin one
  const mirror = opts.url ? { url: opts.url } : withMirror<{ url: string; md5?: string }>({ url: DUTS_TR.url });
  const zip = await downloadFile({
    url: mirror.url,
    md5: mirror.md5,
    dest: join(dataDir, 'downloads', DUTS_TR.filename),
    progress: opts.progress,
    label: DUTS_TR.filename,
    log: opts.log,
    signal: opts.signal,
  });
  const staging = `${root}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await extractDuts(zip, staging, opts.progress ?? silentProgress);
    await checkPairs({ images: join(staging, DUTS_TR.images), masks: join(staging, DUTS_TR.masks) }, opts.pairs ?? DUTS_TR.pairs, zip);
    await writeFile(join(staging, DONE), new Date().toISOString());
    await rm(root, { recursive: true, force: true });
    await rename(staging, root);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return folders;
}

/** The image and mask entries of the zip into `dir`; names that would leave `dir` are refused. */
async function extractDuts(zip: string, dir: string, progress: ProgressSink): Promise<void> {
  const files: { name: string; data: Uint8Array }[] = [];
  let failure: Error | null = null;
  const unzip = new Unzip((entry) => {
    const name = posix.normalize(entry.name);
    if (name.startsWith('../') || name.startsWith('/') || /^[a-zA-Z]:/.test(name)) {
      failure ??= new Error(`${zip}: entry '${entry.name}' points outside the extraction folder; refusing the archive`);
      return;
    }
    const wanted = (name.startsWith(`${DUTS_TR.images}/`) && /\.jpe?g$/i.test(name)) || (name.startsWith(`${DUTS_TR.masks}/`) && /\.png$/i.test(name));
    if (!wanted) return;
    const chunks: Uint8Array[] = [];
    entry.ondata = (err, data, final) => {
      if (err) failure ??= new Error(`${zip}: entry '${entry.name}' is damaged (${err.message})`);
      chunks.push(data);
      if (final) files.push({ name, data: Buffer.concat(chunks) });
    };
    entry.start();
  });
  unzip.register(UnzipInflate);
  const { size } = await stat(zip);
  progress.start(size, 'extract');
  for await (const chunk of createReadStream(zip)) {
    unzip.push(chunk as Uint8Array);
    progress.tick((chunk as Uint8Array).length);
    if (failure) throw failure;
    // the entries finished so far go to disk, so memory holds at most one chunk's worth of them
    for (const f of files.splice(0)) await writeEntry(dir, f);
  }
  unzip.push(new Uint8Array(0), true);
  progress.done();
  if (failure) throw failure;
  for (const f of files.splice(0)) await writeEntry(dir, f);
}

async function writeEntry(dir: string, f: { name: string; data: Uint8Array }): Promise<void> {
  const path = join(dir, f.name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, f.data);
}

/** Every image has a mask of the same base name and the count is the expected one. */
async function checkPairs(folders: DutsFolders, pairs: number, zip: string): Promise<void> {
  const base = (f: string) => basename(f, extname(f));
  const images = new Set((await readdir(folders.images).catch(() => [])).map(base));
  const masks = new Set((await readdir(folders.masks).catch(() => [])).map(base));
  const noMask = [...images].filter((n) => !masks.has(n)).sort();
  const noImage = [...masks].filter((n) => !images.has(n)).sort();
  const list = (ns: string[]) => `${ns.slice(0, 5).join(', ')}${ns.length > 5 ? `, ... (${ns.length})` : ''}`;
  if (noMask.length) throw new Error(`${zip}: images without a mask in ${DUTS_TR.masks}: ${list(noMask)}`);
  if (noImage.length) throw new Error(`${zip}: masks without an image in ${DUTS_TR.images}: ${list(noImage)}`);
  if (images.size !== pairs) throw new Error(`${zip}: ${images.size} image/mask pairs, expected ${pairs} (a different or partial DUTS-TR?)`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
