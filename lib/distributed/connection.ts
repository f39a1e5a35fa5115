// The Redis that BullMQ keeps its queues in: the URL parsed into connection options (a bad URL is
// the user's input, exit 2), and a first contact that fails in seconds with a message instead of
// retrying silently forever. After that first contact, a lost connection is retried every second
// (ioredis) and reported once per outage; an outage longer than the limit fails the run.
import type { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { InputError } from '../errors.ts';

export interface RedisTarget {
  url: string;
  options: RedisOptions;
  /** queue names are prefixed with it, so several caches can share one Redis */
  prefix: string;
}

/** seconds without Redis after which a coordinator or worker gives up (DCSP_REDIS_OUTAGE_S) */
export function outageLimitSeconds(): number {
  const v = Number(process.env.DCSP_REDIS_OUTAGE_S);
  return Number.isFinite(v) && v > 0 ? v : 120;
}

export function redisTarget(url: string, queue = 'dcsp'): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`--redis must be a URL such as redis://127.0.0.1:6379, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InputError(`--redis must be a redis:// or rediss:// URL, got '${url}'`);
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new InputError(`--redis: the database number in '${url}' must be a non-negative integer`);
  if (!/^[A-Za-z0-9_-]+$/.test(queue)) throw new InputError(`--queue must be letters, digits, '-' or '_', got '${queue}'`);
  return {
    url,
    prefix: queue,
    options: {
      host: u.hostname || '127.0.0.1',
      port,
      db,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      // BullMQ's blocking commands need unlimited retries per request; reconnect every second
      maxRetriesPerRequest: null,
      retryStrategy: () => 1000,
    },
  };
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
        onGiveUp(`lost Redis at ${target.url} for over ${limit} s (${this.lastError || 'connection closed'})`);
      }
    }, 1000);
    this.timer.unref();
  }

  client(): Redis {
    const c = new Redis(this.target.options);
    c.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    c.on('close', () => {
      if (this.closing || this.downSince !== null) return;
      this.downSince = performance.now();
      this.log(`redis: ${this.name} lost its connection to ${this.target.url}; retrying every second`);
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

/** The first contact: Redis answers a PING within `seconds`, or the command fails with why. */
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
    throw new Error(`cannot reach Redis at ${target.url} within ${seconds} s: ${(err as Error).message}`);
  } finally {
    queue.off('error', onError);
  }
}
