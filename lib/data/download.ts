// Resumable HTTP(S) download with retries, progress and an MD5 check before the file is used.
// A partial transfer lives in <dest>.part and is continued with an HTTP Range request; the final
// name only appears once the whole body has arrived, and a checksum mismatch deletes the file.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ProgressSink } from '../types.ts';
import { silentProgress } from '../types.ts';
import { formatDuration } from '../format.ts';

export interface DownloadOptions {
  url: string;
  dest: string;
  /** expected MD5 (hex); when given, the file is verified before it is returned */
  md5?: string;
  /** extra request headers (e.g. a session cookie for the VOC evaluation server) */
  headers?: Record<string, string>;
  /** attempts after the first one (default 5) */
  retries?: number;
  /** first backoff delay; doubles on every retry (default 1000 ms) */
  retryDelayMs?: number;
  /** a request that sends nothing for this long is abandoned and retried (default 60 s) */
  idleTimeoutMs?: number;
  progress?: ProgressSink;
  label?: string;
  signal?: AbortSignal;
  /** for logging retries; defaults to silence */
  log?: (line: string) => void;
}

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export class ChecksumError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`checksum mismatch for ${file}: expected MD5 ${expected}, got ${actual}; the bad file was deleted`);
    this.name = 'ChecksumError';
  }
}

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/** Verify `path` against `md5`; on mismatch delete it and throw ChecksumError. */
export async function verifyMd5(path: string, md5: string): Promise<void> {
  const actual = await md5File(path);
  if (actual.toLowerCase() !== md5.toLowerCase()) {
    await rm(path, { force: true });
    throw new ChecksumError(path, md5.toLowerCase(), actual);
  }
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

function request(url: string, headers: Record<string, string>, idleTimeoutMs: number, signal?: AbortSignal): Promise<Response> {
  return new Promise((resolvePromise, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!lib) return reject(new DownloadError(`unsupported URL scheme in ${url}`, false));
    const req = lib.get(u, { headers: { 'user-agent': 'dcsp-pipeline', ...headers }, signal }, (res) => {
      resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new DownloadError(`no data from ${u.host} for ${idleTimeoutMs} ms`, true)));
    req.on('error', (err) => reject(err));
  });
}

function isRetryable(err: unknown): boolean {
  if (err instanceof DownloadError) return err.retryable;
  if ((err as Error)?.name === 'AbortError') return false;
  return true; // socket resets, premature close, DNS hiccups
}

const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * Stream a response body to `path` (appending when `append`). When the connection breaks, the bytes
 * that did arrive are still flushed to disk before the error is raised, so the next attempt resumes
 * exactly where this one stopped (a pipeline() would discard its buffered writes).
 */
function saveBody(
  body: http.IncomingMessage,
  path: string,
  append: boolean,
  fields: (received: number, bytesPerSecond: number) => Record<string, number | string>,
  progress: ProgressSink,
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(path, { flags: append ? 'a' : 'w' });
    const t0 = Date.now();
    let received = 0;
    let lastTick = 0;
    let pendingTick = 0;
    let ended = false;
    let failure: Error | null = null;
    const stop = (err: Error) => {
      if (failure || ended) return;
      failure = err;
      out.end();
    };
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      pendingTick += chunk.length;
      const now = Date.now();
      if (now - lastTick > 250) {
        progress.tick(pendingTick, fields(received, received / Math.max(1e-3, (now - t0) / 1000)));
        pendingTick = 0;
        lastTick = now;
      }
      out.write(chunk);
      // Pause only far beyond the usual write buffer: data still waiting inside a paused response is
      // thrown away when the connection drops, and would have to be fetched again.
      if (out.writableLength > MAX_BUFFERED_BYTES && !body.isPaused()) {
        body.pause();
        out.once('drain', () => body.resume());
      }
    });
    body.on('end', () => {
      ended = true;
      out.end();
    });
    body.on('error', (err) => stop(err));
    body.on('close', () => stop(new DownloadError('connection closed before the body was complete', true)));
    out.on('error', (err) => {
      body.destroy();
      reject(err);
    });
    out.on('finish', () => {
      if (pendingTick) progress.tick(pendingTick);
      if (failure) reject(failure);
      else resolvePromise(received);
    });
    if (body.destroyed) stop(new DownloadError('connection closed before the body was read', true));
  });
}

/**
 * One attempt: continue <dest>.part from its current size (or start it), follow redirects, stream
 * to disk. Resolves when the body is complete; rejects (keeping the .part) when it is cut short.
 */
async function attempt(opts: DownloadOptions, part: string, progress: ProgressSink, started: { total: number | null }): Promise<void> {
  let url = opts.url;
  await mkdir(dirname(part), { recursive: true });
  const have = (await sizeOf(part)) ?? 0;
  for (let hop = 0; hop < 8; hop++) {
    const headers: Record<string, string> = { ...opts.headers };
    if (have > 0) headers.range = `bytes=${have}-`;
    const res = await request(url, headers, opts.idleTimeoutMs ?? 60_000, opts.signal);
    const { status } = res;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.body.resume();
      url = new URL(res.headers.location, url).toString();
      continue;
    }
    if (status === 416 && have > 0) {
      // nothing left to send: the .part may already be complete
      res.body.resume();
      const total = Number(/\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1]);
      if (total === have) return;
      await rm(part, { force: true });
      throw new DownloadError(`server refused to resume ${url} at byte ${have}; restarting`, true);
    }
    if (status !== 200 && status !== 206) {
      res.body.resume();
      const retryable = status >= 500 || status === 408 || status === 429;
      throw new DownloadError(`GET ${url} answered HTTP ${status}`, retryable);
    }
    let offset = 0;
    if (status === 206) {
      const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
      if (!m || Number(m[1]) !== have) {
        res.body.resume();
        await rm(part, { force: true });
        throw new DownloadError(`bad Content-Range from ${url} (${res.headers['content-range']}); restarting`, true);
      }
      offset = have;
      if (m[3] !== '*') started.total = Number(m[3]);
    } else {
      // 200: the server ignored the range (or there was none); start over
      const len = Number(res.headers['content-length']);
      started.total = Number.isFinite(len) ? len : null;
    }
    const expectedBody = Number(res.headers['content-length']);
    progress.start(started.total ?? 0, opts.label ?? url);
    if (offset > 0) progress.tick(offset);

    const received = await saveBody(
      res.body,
      part,
      offset > 0,
      (n, rate) => {
        const left = started.total ? started.total - offset - n : NaN;
        return { 'MB/s': Number((rate / 1e6).toFixed(2)), eta: formatDuration(left / rate) };
      },
      progress,
    );
    // a connection closed cleanly but early still leaves a short body
    if (Number.isFinite(expectedBody) && received < expectedBody) {
      throw new DownloadError(`connection closed after ${received} of ${expectedBody} bytes`, true);
    }
    return;
  }
  throw new DownloadError(`too many redirects for ${opts.url}`, false);
}

/**
 * Download `url` to `dest`. An existing `dest` is reused when its checksum matches. Transfers cut
 * short are resumed from <dest>.part (HTTP Range) with exponential backoff between attempts.
 */
export async function downloadFile(opts: DownloadOptions): Promise<string> {
  const { dest, md5 } = opts;
  const progress = opts.progress ?? silentProgress;
  const log = opts.log ?? (() => {});
  if ((await sizeOf(dest)) !== null) {
    if (md5) await verifyMd5(dest, md5);
    return dest;
  }
  const part = `${dest}.part`;
  const retries = opts.retries ?? 5;
  let delay = opts.retryDelayMs ?? 1000;
  const started: { total: number | null } = { total: null };
  for (let n = 0; ; n++) {
    try {
      await attempt(opts, part, progress, started);
      break;
    } catch (err) {
      if (!isRetryable(err) || n >= retries) {
        progress.done();
        const msg = (err as Error).message;
        throw new DownloadError(
          `download of ${opts.url} failed after ${n + 1} attempt(s): ${msg}${(await sizeOf(part)) ? ` (partial data kept in ${part})` : ''}`,
          false,
        );
      }
      log(`download ${opts.url}: ${(err as Error).message}; retry ${n + 1}/${retries} in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
  progress.done();
  if (started.total !== null) {
    const size = await sizeOf(part);
    if (size !== started.total) {
      await rm(part, { force: true });
      throw new DownloadError(`download of ${opts.url} ended with ${size} of ${started.total} bytes; partial file removed`, false);
    }
  }
  if (md5) {
    try {
      await verifyMd5(part, md5);
    } catch (err) {
      if (err instanceof ChecksumError) throw new ChecksumError(dest, err.expected, err.actual);
      throw err;
    }
  }
  await rename(part, dest);
  return dest;
}
