// The Redis that BullMQ keeps its queues in: the URL parsed into connection options (user and
// password; rediss:// for TLS with a CA and a client certificate; a bad URL is the user's input,
// exit 2), and a first contact that fails in seconds with a message instead of retrying silently
// forever (refused credentials and an untrusted certificate: exit 2). After that first contact, a
// lost connection is retried every second (ioredis) and reported once per outage; an outage longer
// than the limit fails the run. The password is in the connection options only: what is printed is
// the redacted URL, and messages from ioredis pass through `scrub`.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { InputError } from '../errors.ts';

export interface RedisTarget {
  /** the URL as logs and messages show it: its password replaced by *** */
  shown: string;
  options: RedisOptions;
  /** queue names are prefixed with it, so several caches can share one Redis */
  prefix: string;
  /** replaces the password wherever a message from elsewhere (ioredis, a TLS error) might repeat it */
  scrub(text: string): string;
}

/** Files for TLS (rediss://): a CA to trust, and a client certificate with its key. */
export interface RedisTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * A Redis URL fit for a log or a message: the password (and anything in the user part of a URL
 * that does not parse) becomes ***. Every place that prints a Redis URL prints it through here.
 */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/^([^/]*\/\/)[^@/]*@/, '$1***@');
  }
}

/** seconds without Redis after which a coordinator or worker gives up (DCSP_REDIS_OUTAGE_S) */
export function outageLimitSeconds(): number {
  const v = Number(process.env.DCSP_REDIS_OUTAGE_S);
  return Number.isFinite(v) && v > 0 ? v : 120;
}

export function redisTarget(url: string, queue = 'dcsp', tls: RedisTls = {}): RedisTarget {
  const shown = redactRedisUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`--redis must be a URL such as redis://127.0.0.1:6379, got '${shown}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InputError(`--redis must be a redis:// or rediss:// URL, got '${shown}'`);
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new InputError(`--redis: the database number in '${shown}' must be a non-negative integer`);
  if (!/^[A-Za-z0-9_-]+$/.test(queue)) throw new InputError(`--queue must be letters, digits, '-' or '_', got '${queue}'`);
  const files = Object.entries(tls).filter(([, f]) => f !== undefined) as [keyof RedisTls, string][];
  if (files.length && u.protocol !== 'rediss:') throw new InputError(`--redis-${files[0][0]} is for TLS: give a rediss:// URL, got '${shown}'`);
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new InputError('--redis-cert and --redis-key go together (the client certificate and its key)');
  let username = '';
  let password = '';
  try {
    username = decodeURIComponent(u.username);
    password = decodeURIComponent(u.password);
  } catch {
    throw new InputError(`--redis: the user or password in '${shown}' is not valid percent-encoding`);
  }
  return {
    shown,
    prefix: queue,
    scrub: (text) => (password ? text.split(password).join('***') : text),
    options: {
      host: u.hostname || '127.0.0.1',
      port,
      db,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(u.protocol === 'rediss:' ? { tls: tlsOptions(files) } : {}),
      // BullMQ's blocking commands need unlimited retries per request; reconnect every second
      maxRetriesPerRequest: null,
      retryStrategy: () => 1000,
    },
  };
}

function tlsOptions(files: [keyof RedisTls, string][]): TlsOptions {
  const out: TlsOptions = {};
  for (const [what, file] of files) {
    try {
      out[what] = readFileSync(file);
    } catch (err) {
      throw new InputError(`--redis-${what} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return out;
}

/**
 * A client of its own for each BullMQ object (BullMQ in an ES module takes client instances, not
 * options). Connection trouble is reported once per outage, not every retry, and an outage longer
 * than the limit calls `onGiveUp`. The owner disconnects the clients when it closes.
 */
export class Connections {
  private readonly clients: Redis[] = [];
  private downSince: number | null = null;
  private lastError = '';
  private closing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly target: RedisTarget,
    private readonly name: string,
    private readonly log: (line: string) => void,
    onGiveUp: (why: string) => void,
  ) {
    const limit = outageLimitSeconds();
    this.timer = setInterval(() => {
      if (this.downSince !== null && performance.now() - this.downSince > limit * 1000) {
        clearInterval(this.timer);
        onGiveUp(`lost Redis at ${target.shown} for over ${limit} s (${this.lastError || 'connection closed'})`);
      }
    }, 1000);
    this.timer.unref();
  }

  client(): Redis {
    const c = new Redis(this.target.options);
    c.on('error', (err: Error) => {
      this.lastError = this.target.scrub(err.message);
    });
    c.on('close', () => {
      if (this.closing || this.downSince !== null) return;
      this.downSince = performance.now();
      this.log(`redis: ${this.name} lost its connection to ${this.target.shown}; retrying every second`);
    });
    c.on('ready', () => {
      if (this.downSince === null) return;
      this.log(`redis: ${this.name} reconnected after ${((performance.now() - this.downSince) / 1000).toFixed(1)} s`);
      this.downSince = null;
    });
    this.clients.push(c);
    return c;
  }

  close(): void {
    this.closing = true;
    clearInterval(this.timer);
    for (const c of this.clients) c.disconnect();
  }
}

// what Redis says to a client whose credentials or rights it refuses, and a TLS peer it cannot trust
const REFUSED = /\b(WRONGPASS|NOAUTH|NOPERM)\b|invalid (username-)?password/i;
const UNTRUSTED_TLS = /certificate|self[- ]signed|SSL routines|alert (unknown ca|bad certificate|certificate required|handshake failure)/i;

/**
 * The first contact: Redis answers a PING within `seconds`, or the command fails with why in one
 * line. Refused credentials or an untrusted certificate are the user's input (exit 2): the answer
 * will not change by waiting.
 */
export async function reachRedis(target: RedisTarget, queue: Queue, seconds = 5): Promise<void> {
  let lastError = 'no answer';
  const onError = (err: Error): void => {
    lastError = err.message;
  };
  queue.on('error', onError);
  try {
    const ping = (async () => (await queue.getBackend().client).runCommand('ping', []))();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(lastError)), seconds * 1000).unref());
    await Promise.race([ping, timeout]);
  } catch (err) {
    const why = target.scrub((err as Error).message.split('\n')[0]);
    if (REFUSED.test(why))
      throw new InputError(`Redis at ${target.shown} refused this client: ${why} (check the user and password in --redis, and that user's ACL)`);
    if (UNTRUSTED_TLS.test(why)) throw new InputError(`Redis at ${target.shown}: TLS failed: ${why} (check --redis-ca, --redis-cert, --redis-key)`);
    throw new Error(`cannot reach Redis at ${target.shown} within ${seconds} s: ${why}`);
  } finally {
    queue.off('error', onError);
  }
}
