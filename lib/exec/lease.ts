// Leases for locks on a shared cache. A lock's pid says nothing on another host, so every lock also
// carries a lease: its holder rewrites the lock file (a renewal counter) every third of the lease.
// Another host judges the lease by its own clock only: a lock whose bytes have not changed for a
// whole lease, as watched from here, belongs to a dead host (clocks of different machines are never
// compared). A live holder on another host renews in time, so it is never taken over.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { replaceFile } from '../store/whole-file.ts';

export const DEFAULT_LEASE_MS = 30_000;

/** The lease new locks get: DCSP_LOCK_LEASE_MS (tests shorten it), else 30 s. */
export function leaseMs(): number {
  const v = Number(process.env.DCSP_LOCK_LEASE_MS);
  return Number.isFinite(v) && v >= 100 ? v : DEFAULT_LEASE_MS;
}

/**
 * This machine's name as locks record it. DCSP_HOST overrides it where machines share a hostname
 * (containers started from one image without their own) and in tests that play a second host.
 */
export function hostName(): string {
  return process.env.DCSP_HOST || hostname();
}

// path -> the lock's bytes when last seen, and since when (monotonic, this process's clock)
const watched = new Map<string, { text: string; since: number }>();

/** Whether a lock held by another host has gone a whole lease without a renewal seen from here. */
export function leaseExpired(path: string, text: string, lease: number): boolean {
  const now = performance.now();
  const w = watched.get(path);
  if (!w || w.text !== text) {
    watched.set(path, { text, since: now });
    return false;
  }
  return now - w.since >= lease;
}

export function forgetLease(path: string): void {
  watched.delete(path);
}

export interface Renewal {
  /** stops renewing; resolves once a renewal in flight has landed (so a release after it is final) */
  stop(): Promise<void>;
}

/**
 * Keeps a held lock's lease alive: every lease/3 the file is rewritten whole (temp file, rename)
 * with the next renewal count. A lock whose bytes are no longer ours was taken over (this process
 * stalled for longer than its lease): renewal stops and `onLost` says so.
 */
export function renewLease(path: string, owner: Record<string, unknown>, firstText: string, lease: number, onLost: (why: string) => void): Renewal {
  let last = firstText;
  let renewals = 0;
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  const timer = setInterval(
    () => {
      if (inFlight || stopped) return;
      inFlight = (async () => {
        try {
          const now = await readFile(path, 'utf8').catch(() => null);
          if (now !== last) {
            clearInterval(timer);
            onLost(now === null ? `lock ${path} vanished while held` : `lock ${path} was taken over while held (its lease of ${lease} ms ran out)`);
            return;
          }
          const next = JSON.stringify({ ...owner, renewals: ++renewals });
          await replaceFile(path, next);
          last = next;
        } catch (err) {
          onLost(`lock ${path} could not be renewed: ${(err as Error).message}`);
        } finally {
          inFlight = null;
        }
      })();
    },
    Math.max(50, Math.floor(lease / 3)),
  );
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
