// The executor's side of a per-item stage spread over GPUs (gpu-shards.ts): the extra cards free
// when the stage starts computing (never waited for), each let go as soon as the stage's process
// says its shard ended (or, at the latest, when that process ends), and what each one did for the
// run log. A card's end time is taken before it is let go, so the next holder's start on that card
// is never earlier than this stage's recorded end there.
import { gpuProcessEnv } from '../gpu/plan.ts';
import type { GpuHold, GpuSlots } from './gpu-slots.ts';
import { isShardDone, type ShardDone, type ShardSlot } from './gpu-shards.ts';
import { gpuOf, type ShardPlace } from './stage-place.ts';

interface Held {
  hold: GpuHold;
  done?: ShardDone;
  ended?: Date;
  released?: Promise<void>;
}

export class ShardHolds {
  private constructor(
    private readonly held: Held[],
    private readonly simulated: boolean,
  ) {}

  /** Every other card with a free slot right now, beside `own` (the stage's card). */
  static async take(slots: GpuSlots, own: GpuHold): Promise<ShardHolds> {
    const extra = await slots.takeFree([own.device.index]);
    return new ShardHolds(
      extra.map((hold) => ({ hold })),
      slots.plan.simulated,
    );
  }

  get count(): number {
    return this.held.length;
  }

  /** The extra cards as the stage's process is given them. */
  slots(): ShardSlot[] {
    return this.held.map(({ hold }) => ({ gpu: hold.device.index, env: gpuProcessEnv(hold.device) }));
  }

  /** A message of the stage's process: a shard's end lets its card go. */
  onMessage(m: unknown): void {
    if (!isShardDone(m)) return;
    const h = this.held.find((x) => x.hold.device.index === m.gpu && !x.done);
    if (!h) return;
    h.done = m;
    this.letGo(h);
  }

  /** Lets every card still held go (the stage's process has ended, whatever it said). */
  async releaseAll(): Promise<void> {
    for (const h of this.held) this.letGo(h);
    await Promise.all(this.held.map((h) => h.released));
  }

  /** What each extra card did, for the stage's place in the run log. */
  places(): ShardPlace[] {
    return this.held.map(({ hold, done, ended }) => ({
      gpu: gpuOf(hold, this.simulated),
      started: hold.since.toISOString(),
      ended: (ended ?? new Date()).toISOString(),
      items: done?.items ?? 0,
      threads: done?.threads ?? 0,
      ...(done?.env ? { env: done.env } : {}),
    }));
  }

  private letGo(h: Held): void {
    if (h.released !== undefined) return;
    h.ended = new Date();
    h.released = h.hold.release();
  }
}
