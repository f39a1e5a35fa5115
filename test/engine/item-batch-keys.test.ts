// Item keys that name the batch an item is computed in (lib/exec/item-batches.ts, item-keys.ts
// batchedKeys), through the CLI, on a stand-in stage whose bytes depend on the batch (fixture
// stages/sized.ts: items of three sizes, batches of at most 3 of one size). The batches are cut from
// the stage's whole item list, so a change to one item re-keys its batch's members and nothing
// else, a batch of one keeps the item's own key, and a run killed mid-stage resumes to the bytes of
// an uninterrupted run, every batch it computes whole.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyParts } from '../../lib/contract/key.ts';
import { itemKeysOf } from '../../lib/exec/item-keys.ts';
import { Artifact } from '../../lib/store/artifact.ts';
import { sha256 } from '../../lib/store/hash.ts';
import type { Manifest } from '../../lib/store/manifest.ts';
import { makeProject, resetCalls, type Project } from './project.ts';

const PIPELINE = `version: 1
default_profile: base
stages:
  tiles:
    params: { count: 10 }
  sized:
    inputs: { values: tiles }
profiles:
  base: {}
`;

const made: Project[] = [];
afterAll(() => {
  for (const p of made) rmSync(p.dir, { recursive: true, force: true });
});

function project(name: string, count = 10): Project {
  const p = makeProject(name);
  writeFileSync(p.pipeline, PIPELINE.replace('count: 10', `count: ${count}`));
  made.push(p);
  return p;
}

const id = (n: number): string => `item-${String(n).padStart(4, '0')}`;

/** The batches the stage must cut: ids by size (3 + n % 3 rows), sizes in order of first appearance, at most 3 a batch. */
function expectedBatches(count: number): string[][] {
  const bySize = new Map<number, string[]>();
  for (let n = 0; n < count; n++) bySize.set(n % 3, [...(bySize.get(n % 3) ?? []), id(n)]);
  const out: string[][] = [];
  for (const ids of bySize.values()) for (let i = 0; i < ids.length; i += 3) out.push(ids.slice(i, i + 3));
  return out;
}

const KEY = /^[0-9a-f]{64}$/;
const committed = (p: Project, stage: string): string[] =>
  existsSync(join(p.cache, stage)) ? readdirSync(join(p.cache, stage)).filter((e) => KEY.test(e)) : [];

interface Sized {
  key: string;
  ids: string[];
  /** item key by id */
  keys: Map<string, string>;
  /** each item's own key (the recipe without its batch) by id */
  own: Map<string, string>;
  /** artifact content files, path -> bytes */
  files: Map<string, Buffer>;
}

async function sized(p: Project, key?: string): Promise<Sized> {
  const keys = committed(p, 'sized');
  const k = key ?? keys[0];
  if (key === undefined) expect(keys).toHaveLength(1);
  const dir = join(p.cache, 'sized', k);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const state = JSON.parse(readFileSync(join(dir, 'item-state.json'), 'utf8')) as { itemKeys: string[] };
  const values = m.inputs.values;
  const input = await Artifact.open(join(p.cache, values.stage, values.key));
  const ids = (await input.itemTable())!.ids;
  const parts: KeyParts = {
    stage: 'sized',
    version: m.version,
    codeHash: m.codeHash,
    params: m.params,
    inputs: { values: values.contentHash },
    ...(m.numerics ? { numerics: m.numerics as KeyParts['numerics'] } : {}),
  };
  const own = await itemKeysOf(parts, null, ids, { values: input });
  const listed = JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as [string, number, string][];
  return {
    key: k,
    ids,
    keys: new Map(ids.map((x, i) => [x, state.itemKeys[i]])),
    own: new Map(ids.map((x, i) => [x, own[i]])),
    files: new Map(listed.map(([f]) => [f, readFileSync(join(dir, f))])),
  };
}

async function run(p: Project, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const r = await p.cli(['run', '--workers', '2', ...args], { env });
  expect(r.code, r.stderr).toBe(0);
  return r.stderr;
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('item keys that name their batch', () => {
  it('are the own key for a batch of one, and cover every mate, in batch order, for a batch of several', async () => {
    const p = project('batch-keys');
    await run(p);
    const s = await sized(p);
    const batches = expectedBatches(10);
    expect(batches).toContainEqual([id(9)]);
    // every batch computed as one call, and nothing else
    expect(
      p
        .calls('sized')
        .map((l) => l.slice('sized '.length))
        .sort(),
    ).toEqual(batches.map((b) => b.join(',')).sort());
    for (const batch of batches) {
      for (const x of batch) {
        const want = batch.length === 1 ? s.own.get(x) : sha256('dcsp-item-batch/1', s.own.get(x)!, ...batch.map((m) => s.own.get(m)!));
        expect(s.keys.get(x), x).toBe(want);
      }
    }
    expect(new Set(s.keys.values()).size).toBe(10);
  }, 120_000);

  it("change for every member when one mate's input changes, and for no item of another batch", async () => {
    const p = project('batch-keys-mate');
    await run(p);
    const before = await sized(p);
    resetCalls(p);
    await run(p, ['--set', `tiles.bump=${id(4)}`]);
    const after = (await Promise.all(committed(p, 'sized').map((k) => sized(p, k)))).find((s) => s.key !== before.key)!;
    const batchOf4 = expectedBatches(10).find((b) => b.includes(id(4)))!;
    expect(batchOf4).toEqual([id(1), id(4), id(7)]);
    for (const x of before.ids) {
      if (batchOf4.includes(x)) expect(after.keys.get(x), x).not.toBe(before.keys.get(x));
      else expect(after.keys.get(x), x).toBe(before.keys.get(x));
    }
    // the mates' own keys did not change: only their batch did
    expect(after.own.get(id(1))).toBe(before.own.get(id(1)));
    // only that batch was computed; every other item came from the earlier artifact
    expect(p.calls('sized')).toEqual([`sized ${batchOf4.join(',')}`]);
  }, 120_000);

  it('SIGKILL mid-stage, then a resumed run computes whole batches and commits the bytes of an uninterrupted run', async () => {
    const count = 30;
    const p = project('batch-keys-kill', count);
    await run(p, ['--until', 'tiles']);
    const killed = p.spawn(['run', '--workers', '2'], { env: { DCSP_TEST_DELAY_MS: '300' } });
    await until(() => p.calls('sized').length >= 3, 60_000);
    killed.kill('SIGKILL');
    await killed;
    const first = p.calls('sized').length;
    expect(committed(p, 'sized')).toEqual([]);
    const partial = readdirSync(join(p.cache, 'sized')).find((e) => e.endsWith('.partial'))!;
    const saved = readdirSync(join(p.cache, 'sized', partial, 'work', 'items')).filter((f) => f.endsWith('.item'));
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThan(count);

    resetCalls(p);
    const stderr = await run(p);
    expect(stderr).toMatch(/sized: \d+ of 30 items to compute \(\d+ resumed/);
    const batches = new Set(expectedBatches(count).map((b) => b.join(',')));
    const again = p.calls('sized').map((l) => l.slice('sized '.length));
    expect(again.length).toBeGreaterThan(0);
    expect(again.length + first).toBeGreaterThanOrEqual(batches.size);
    for (const call of again) expect(batches.has(call), call).toBe(true);

    const q = project('batch-keys-straight', count);
    await run(q);
    const a = await sized(p);
    const b = await sized(q);
    expect(a.key).toBe(b.key);
    expect([...a.keys.values()]).toEqual([...b.keys.values()]);
    expect([...a.files.keys()]).toEqual([...b.files.keys()]);
    for (const [f, bytes] of a.files) expect(bytes.equals(b.files.get(f)!), f).toBe(true);
  }, 180_000);
});
