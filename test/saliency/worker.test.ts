import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import { describe, expect, it } from 'vitest';
import { boundarySaliency } from '../../lib/saliency/boundary.ts';
import type { DetectTask } from '../../lib/saliency/worker.ts';
import type { MapF32 } from '../../lib/types.ts';
import { makeScene } from './synthetic.ts';

describe('worker thread', () => {
  it('runs the TypeScript worker in a tinypool thread, building the detector from its JSON spec', async () => {
    const pool = new Tinypool({
      filename: fileURLToPath(new URL('../../lib/saliency/worker-entry.mjs', import.meta.url)),
      minThreads: 1,
      maxThreads: 1,
    });
    try {
      const sc = makeScene(42, { width: 80, height: 60, objects: 2 });
      const task: DetectTask = { spec: { kind: 'boundary', maxSide: 80 }, image: sc.image };
      const map = (await pool.run(task)) as MapF32;
      const local = boundarySaliency(sc.image, { maxSide: 80 });
      expect([map.width, map.height]).toEqual([80, 60]);
      expect(Buffer.from(map.data.buffer).equals(Buffer.from(local.data.buffer))).toBe(true);
      await expect(pool.run({ spec: { kind: 'nope' }, image: sc.image })).rejects.toThrow(/invalid saliency detector spec/);
    } finally {
      await pool.destroy();
    }
  });
});
