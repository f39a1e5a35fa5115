// GPU slots are lock files under the cache, shared by every process of this host: the cards fill
// before any is shared, a full set makes the next holder wait, and a release lets it in.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GpuSlots } from '../../lib/exec/gpu-slots.ts';

const devices = [0, 1].map((index) => ({ index, name: `Fake ${index}`, memoryMiB: 16384 }));

describe('GpuSlots', () => {
  it('spreads over the cards before sharing one, and waits when every slot is held', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'dcsp-gpu-slots-'));
    const slots = new GpuSlots(join(cache, 'gpus'), { devices, share: 2, simulated: true }, 20);
    // a second GpuSlots on the same cache stands for another process (a sweep's variant)
    const other = new GpuSlots(join(cache, 'gpus'), { devices, share: 2, simulated: true }, 20);
    const a = await slots.acquire(() => undefined);
    const b = await other.acquire(() => undefined);
    expect([a.device.index, a.slot, b.device.index, b.slot]).toEqual([0, 0, 1, 0]);
    const c = await slots.acquire(() => undefined);
    const d = await other.acquire(() => undefined);
    expect([c.device.index, c.slot, d.device.index, d.slot]).toEqual([0, 1, 1, 1]);
    let waited = false;
    const e = other.acquire(() => (waited = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(waited).toBe(true);
    await b.release();
    const got = await e;
    expect([got.device.index, got.slot]).toEqual([1, 0]);
    await Promise.all([a, c, d, got].map((h) => h.release()));
  });

  it('takeFree takes one free slot on each other card at once, never waiting, and none where all are held', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'dcsp-gpu-slots-'));
    const three = [...devices, { index: 2, name: 'Fake 2', memoryMiB: 16384 }];
    const slots = new GpuSlots(join(cache, 'gpus'), { devices: three, share: 2, simulated: true }, 20);
    const other = new GpuSlots(join(cache, 'gpus'), { devices: three, share: 2, simulated: true }, 20);
    const own = await slots.acquire(() => undefined);
    // card 1 fully held by another process, card 2 half held
    const b = [await other.acquire(() => undefined), await other.acquire(() => undefined)];
    expect(b.map((h) => h.device.index)).toEqual([1, 2]);
    const c = await other.acquire(() => undefined);
    expect([c.device.index, c.slot]).toEqual([0, 1]);
    const d = await other.acquire(() => undefined);
    expect([d.device.index, d.slot]).toEqual([1, 1]);
    const t0 = performance.now();
    const extra = await slots.takeFree([own.device.index]);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(extra.map((h) => [h.device.index, h.slot])).toEqual([[2, 1]]);
    // everything held now: nothing taken, nothing waited for
    expect(await other.takeFree([])).toEqual([]);
    await extra[0].release();
    const again = await other.takeFree([0, 1]);
    expect(again.map((h) => [h.device.index, h.slot])).toEqual([[2, 1]]);
    await Promise.all([own, ...b, c, d, ...again].map((h) => h.release()));
  });
});
