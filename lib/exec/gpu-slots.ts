// A GPU is a slot: a tensor stage holds one for as long as it computes. Slots are lock files
// (lock.ts: pid, host, lease) under the cache's gpus/<host>/ folder, one per card and share, so
// every process on this host that uses the cache draws from the same slots: the stages of one
// run, the `pipeline run` children of a `sweep --jobs N`, workers started side by side. A holder
// killed outright frees its slot as a lock of a dead pid does. The host is part of the path: GPU
// 0 of one machine is not GPU 0 of another machine sharing the cache.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpuDevice } from '../gpu/devices.ts';
import type { GpuPlan } from '../gpu/plan.ts';
import { hostName } from './lease.ts';
import { isLock, tryLock, type Lock } from './lock.ts';

export interface GpuHold {
  device: GpuDevice;
  /** which of the card's `share` slots */
  slot: number;
  /** when the slot was taken */
  since: Date;
  release(): Promise<void>;
}

export class GpuSlots {
  readonly dir: string;
  /** `gpusDir`: the cache's gpus/ folder (Store.gpusDir) */
  constructor(
    gpusDir: string,
    readonly plan: GpuPlan,
    private readonly pollMs = 200,
  ) {
    this.dir = join(gpusDir, hostName());
  }

  /**
   * A free slot, waiting for one while all are held. Every card's first slot is tried before any
   * card's second, so stages spread over the cards before they share one.
   */
  async acquire(onWait: () => void): Promise<GpuHold> {
    await mkdir(this.dir, { recursive: true });
    let told = false;
    for (;;) {
      for (let slot = 0; slot < this.plan.share; slot++) {
        for (const device of this.plan.devices) {
          const got = await tryLock(join(this.dir, `gpu${device.index}-${slot}.lock`));
          if (isLock(got)) return held(device, slot, got);
        }
      }
      if (!told) onWait();
      told = true;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /**
   * One slot on every card not in `except` that has one free right now, never waiting: the extra
   * cards a per-item stage spreads its items over (gpu-shards.ts). One per card: a second process
   * on a card the stage already holds would only divide that card.
   */
  async takeFree(except: number[]): Promise<GpuHold[]> {
    await mkdir(this.dir, { recursive: true });
    const out: GpuHold[] = [];
    for (const device of this.plan.devices) {
      if (except.includes(device.index)) continue;
      for (let slot = 0; slot < this.plan.share; slot++) {
        const got = await tryLock(join(this.dir, `gpu${device.index}-${slot}.lock`));
        if (!isLock(got)) continue;
        out.push(held(device, slot, got));
        break;
      }
    }
    return out;
  }
}

function held(device: GpuDevice, slot: number, lock: Lock): GpuHold {
  return { device, slot, since: new Date(), release: () => lock.release() };
}
