// A per-item stage's chunks (PerItemPlan.order) and whether its work computes them a chunk at a
// time (ItemWork.computeBatch) are how items are scheduled, never what they are: the stage key,
// every item key and the artifact's bytes are the same whichever order the chunks are cut in and
// whether the runner calls computeBatch or compute.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, type Project } from './project.ts';

const PIPELINE = `version: 1
default_profile: base
stages:
  source:
    params: { count: 10 }
  batched:
    inputs: { values: source }
profiles:
  base: {}
`;

interface Outcome {
  key: string;
  contentHash: string;
  itemKeys: string[];
  chunks: string[];
}

async function runWith(env: Record<string, string>): Promise<Outcome> {
  const p: Project = makeProject('item-batching');
  const pipeline = join(p.dir, 'batched.yaml');
  writeFileSync(pipeline, PIPELINE);
  const r = await p.cli(['run', '--workers', '1'], { env, pipeline });
  expect(r.code, r.stderr).toBe(0);
  const keys = readdirSync(join(p.cache, 'batched'));
  expect(keys).toHaveLength(1);
  const dir = join(p.cache, 'batched', keys[0]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { key: string; contentHash: string };
  const state = JSON.parse(readFileSync(join(dir, 'item-state.json'), 'utf8')) as { itemKeys: string[] };
  return { key: manifest.key, contentHash: manifest.contentHash, itemKeys: state.itemKeys, chunks: p.calls('batched').map((l) => l.slice('batched '.length)) };
}

describe('per-item batching and chunk order', () => {
  it('change no key and no byte', async () => {
    const plain = await runWith({});
    const reversed = await runWith({ DCSP_TEST_ORDER: 'reverse' });
    const unbatched = await runWith({ DCSP_TEST_UNBATCHED: '1' });
    // the runner did what each setting says: chunks of 3 in id order, in reverse, one item per call
    const ids = plain.chunks.flatMap((c) => c.split(','));
    expect(ids).toHaveLength(10);
    expect(plain.chunks[0].split(',')).toEqual(ids.slice(0, 3));
    expect(plain.chunks[0]).not.toBe(reversed.chunks[0]);
    expect(new Set(reversed.chunks.flatMap((c) => c.split(',')))).toEqual(new Set(ids));
    expect(reversed.chunks[0].split(',')).toEqual([...ids].reverse().slice(0, 3));
    expect(unbatched.chunks).toHaveLength(10);
    for (const other of [reversed, unbatched]) {
      expect(other.key).toBe(plain.key);
      expect(other.itemKeys).toEqual(plain.itemKeys);
      expect(other.contentHash).toBe(plain.contentHash);
    }
  }, 120_000);
});
