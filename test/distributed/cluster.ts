// A throw-away cluster for the distributed tests: redis-server on a free loopback port (no
// persistence: a restart loses every job, the harshest case) and `pipeline worker` processes, each
// in its own scratch working directory, all on one cache path.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/pipeline.mjs');

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/** Whether a Redis answers on `port` (a protected one answers too: with NOAUTH). */
async function answers(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = new Socket();
    s.once('error', () => ok(false));
    s.connect(port, '127.0.0.1', () => {
      s.write('PING\r\n');
      s.once('data', (d) => {
        s.destroy();
        ok(/^(\+PONG|-NOAUTH)/.test(String(d)));
      });
    });
  });
}

export interface Redis {
  port: number;
  /** the plain port's URL, with the password when there is one */
  url: string;
  /** the TLS port, when started with certificates */
  tlsPort?: number;
  stop(): Promise<void>;
  /** stopped and started again on the same port, empty */
  restart(): Promise<void>;
}

export interface RedisSetup {
  /** the default user's password (requirepass) */
  password?: string;
  /** a TLS port too, with this server certificate; clients must show a certificate the CA signed */
  tls?: { cert: string; key: string; ca: string };
  /** more configuration, as redis-server arguments (e.g. an ACL user) */
  args?: string[];
}

export async function startRedis(setup: RedisSetup = {}): Promise<Redis> {
  const port = await freePort();
  const tlsPort = setup.tls ? await freePort() : undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (setup.password) args.push('--requirepass', setup.password);
  if (setup.tls)
    args.push('--tls-port', String(tlsPort), '--tls-cert-file', setup.tls.cert, '--tls-key-file', setup.tls.key, '--tls-ca-cert-file', setup.tls.ca);
  args.push(...(setup.args ?? []));
  let proc: ChildProcess;
  const start = async (): Promise<void> => {
    proc = spawn('redis-server', args, { stdio: 'ignore' });
    let missing: Error | null = null;
    proc.once('error', (err) => (missing = err));
    for (let i = 0; i < 100; i++) {
      if (missing)
        throw new Error(
          `cannot start redis-server (${(missing as Error).message}): these tests need Debian's redis-server (apt-get install redis-server; .ci/run installs it)`,
        );
      if (await answers(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  };
  await start();
  const auth = setup.password ? `:${encodeURIComponent(setup.password)}@` : '';
  const restart = async (): Promise<void> => {
    await stop();
    await start();
  };
  return { port, url: `redis://${auth}127.0.0.1:${port}`, tlsPort, stop, restart };
}

export interface WorkerProc {
  proc: ChildProcess;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/**
 * A worker process in its own scratch directory; its stderr is kept for the test to read. The job
 * lock is short (a killed worker's job moves on in ~15 s) but longer than a loaded machine's
 * longest training step: a lock lapsing under a live worker hands its job to another one, which
 * waits on the key's file lock and then reports the commit as cached. `redis`: the server, a URL,
 * or null for a worker that takes its Redis from `env` (DCSP_REDIS and the TLS files).
 */
export function startWorker(redis: Redis | string | null, cache: string, env: Record<string, string> = {}, extra: string[] = []): WorkerProc {
  const cwd = mkdtempSync(join(tmpdir(), 'dcsp-worker-'));
  mkdirSync(cwd, { recursive: true });
  // null: the worker takes its Redis from the environment (DCSP_REDIS...)
  const url = redis === null ? [] : ['--redis', typeof redis === 'string' ? redis : redis.url];
  const proc = spawn(process.execPath, [BIN, 'worker', ...url, '--cache', cache, ...extra], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', DCSP_QUEUE_LOCK_MS: '10000', DCSP_LOCK_LEASE_MS: '3000', ...env },
  });
  let text = '';
  proc.stderr!.on('data', (d: Buffer) => (text += String(d)));
  return {
    proc,
    pid: proc.pid!,
    log: () => text,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

/** Resolves once the worker says it takes jobs. */
export async function ready(w: WorkerProc, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!/taking jobs/.test(w.log())) {
    if (w.proc.exitCode !== null) throw new Error(`worker exited: ${w.log()}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`worker not ready: ${w.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunEvent {
  event?: string;
  status?: string;
  stage: string;
  key: string | null;
  worker?: string;
  items?: string[];
  resumedFrom?: number;
}

export function runEvents(cache: string): RunEvent[] {
  let text = '';
  try {
    text = readFileSync(join(cache, 'runs', 'runs.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunEvent);
}

/** Items of each stage key computed (committed to the stage's work) more than once, per runs.jsonl. */
export function itemsComputedTwice(cache: string): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const e of runEvents(cache)) {
    if (e.event !== 'chunk') continue;
    for (const id of e.items ?? []) {
      const k = `${e.stage}@${e.key} ${id}`;
      if (seen.has(k)) twice.push(k);
      seen.add(k);
    }
  }
  return twice;
}

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
