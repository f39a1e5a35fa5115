// A per-item tensor stage spread over the free GPUs, on the engine fixture's stand-in stages
// through the CLI, the devices simulated (a fake nvidia-smi listing two cards, DCSP_GPU_SIMULATE=1,
// wasm). `infer` takes card 0 and, free at that moment, card 1: its items still to compute go to
// its own process (card 0) and to a second process that sees only card 1, both at once. A training
// that becomes ready meanwhile waits for a card and gets card 1 as soon as that share ends, not
// when the whole stage does. The committed bytes are those of a run without --gpus. A run killed
// outright while its shards compute keeps every item file they finished: the next run computes
// only the rest.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeNvidiaSmi, heldFrom, mostAtOnce } from '../fixtures/fake-gpus.ts';
import { makeProject, type Project } from './project.ts';

const pipeline = (stages: string): string => `version: 1
default_profile: base
stages:
  source:
    params: { count: 12 }
  infer:
    inputs: { values: source }
${stages}profiles:
  base: {}
`;
// a training that becomes ready while infer computes: double is slowed by the test (DCSP_TEST_DELAY_MS)
const PIPELINE = pipeline(`  double:
    inputs: { values: source }
  fit:
    inputs: { values: double }
`);

const made: Project[] = [];
afterAll(() => {
  for (const p of made) rmSync(p.dir, { recursive: true, force: true });
});

function project(name: string): Project {
  const p = makeProject(name);
  writeFileSync(p.pipeline, PIPELINE);
  made.push(p);
  return p;
}

interface Call {
  id: string;
  gpu: string;
  pid: number;
  from: number;
  to: number;
}

function inferCalls(p: Project): Call[] {
  return p.calls('infer').map((l) => {
    const m = /^infer (\S+) gpu=(\S+) pid=(\d+) from=(\d+) to=(\d+)$/.exec(l);
    if (!m) throw new Error(`unexpected calls line: ${l}`);
    return { id: m[1], gpu: m[2], pid: Number(m[3]), from: Number(m[4]), to: Number(m[5]) };
  });
}

describe('a per-item stage on two simulated GPUs', () => {
  it('shares its items with a process per free card, lets each card go as its share ends, and commits the bytes of a run without --gpus', async () => {
    const p = project('gpu-shards');
    // card 0's items are slow: card 1's share ends first, and the waiting training takes that card
    const slow = { DCSP_TEST_ITEM_MS: '250', DCSP_TEST_SLOW_GPU: '0', DCSP_TEST_SLOW_FACTOR: '6', DCSP_TEST_DELAY_MS: '300' };
    const env = { PATH: `${fakeNvidiaSmi(p.dir, ['Fake GPU A', 'Fake GPU B'])}:${process.env.PATH}`, DCSP_GPU_SIMULATE: '1', ...slow };
    const r = await p.cli(['run', '--backend', 'wasm', '--gpus', 'auto', '--jobs', '4', '--workers', '1'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^infer: items still to compute are shared with GPU 1 \(a process each\)$/m);
    expect(r.stderr).toMatch(/^fit: waiting for a free GPU slot$/m);

    const held = heldFrom(p.cache);
    const infer = held.find((h) => h.stage === 'infer')!;
    const fit = held.find((h) => h.stage === 'fit')!;
    // its own card in its own process, the other card in a process that saw only that card
    expect(infer).toMatchObject({ gpu: 0, simulated: true, env: { CUDA_VISIBLE_DEVICES: '0', TF_FORCE_GPU_ALLOW_GROWTH: 'true' } });
    expect(infer.shards).toHaveLength(1);
    const shard = infer.shards![0];
    expect(shard).toMatchObject({ gpu: 1, simulated: true, env: { CUDA_VISIBLE_DEVICES: '1', TF_FORCE_GPU_ALLOW_GROWTH: 'true' } });
    // the items: all 12 computed once, half on each card (6 chunks of 2, dealt in turn), by two processes
    const calls = inferCalls(p);
    expect(calls.map((c) => c.id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `item-${String(i).padStart(4, '0')}`));
    const on = (gpu: string) => calls.filter((c) => c.gpu === gpu);
    expect([on('0').length, on('1').length]).toEqual([6, 6]);
    expect(shard.items).toBe(6);
    expect(new Set(on('0').map((c) => c.pid)).size).toBe(1);
    expect(new Set(on('1').map((c) => c.pid)).size).toBe(1);
    expect(on('0')[0].pid).not.toBe(on('1')[0].pid);
    // at once: an item on card 1 was computed while one on card 0 was
    expect(on('1').some((a) => on('0').some((b) => a.from < b.to && b.from < a.to))).toBe(true);
    // card 1 was let go when its share ended, before the stage did, and the training took it then
    expect(shard.to).toBeLessThan(infer.to);
    expect(fit.gpu).toBe(1);
    expect(fit.from).toBeGreaterThanOrEqual(shard.to);
    expect(fit.from).toBeLessThan(infer.to);
    // never two holders on one card at once, the shard's card included
    expect(mostAtOnce(held.filter((h) => h.gpu !== null))).toEqual(
      new Map([
        ['local/0', 1],
        ['local/1', 1],
      ]),
    );

    // the same keys and bytes without GPUs
    const plain = project('gpu-shards-plain');
    const q = await plain.cli(['run', '--backend', 'wasm', '--json', '--workers', '1']);
    expect(q.code, q.stderr).toBe(0);
    const outcomes = (JSON.parse(q.stdout) as { outcomes: { stage: string; key: string }[] }).outcomes;
    expect(outcomes.map((o) => o.stage).sort()).toEqual(['double', 'fit', 'infer', 'source']);
    for (const o of outcomes) {
      const files = (cache: string) => readFileSync(join(cache, o.stage, o.key, 'files.json'), 'utf8');
      expect(files(p.cache), o.stage).toBe(files(plain.cache));
    }
  }, 180_000);

  it('a run killed while its shards compute loses no finished item: the next run computes only the rest', async () => {
    const p = project('gpu-shards-killed');
    writeFileSync(p.pipeline, pipeline(''));
    const env = {
      PATH: `${fakeNvidiaSmi(p.dir, ['Fake GPU A', 'Fake GPU B'])}:${process.env.PATH}`,
      DCSP_GPU_SIMULATE: '1',
      DCSP_TEST_ITEM_MS: '200',
      DCSP_TEST_SLOW_GPU: '0',
      DCSP_TEST_SLOW_FACTOR: '8',
    };
    const run = p.spawn(['run', '--backend', 'wasm', '--gpus', 'auto', '--workers', '1'], { env });
    const itemFiles = (): string[] => {
      const dir = join(p.cache, 'infer');
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((d) => d.endsWith('.partial'))
        .flatMap((d) => {
          const items = join(dir, d, 'work', 'items');
          return existsSync(items) ? readdirSync(items).filter((f) => f.endsWith('.item')) : [];
        });
    };
    // killed outright once both cards have finished items, card 0 still busy with its slow share
    const deadline = Date.now() + 120_000;
    while (!(inferCalls(p).some((c) => c.gpu === '0') && inferCalls(p).some((c) => c.gpu === '1') && itemFiles().length >= 4 && itemFiles().length < 12)) {
      if (Date.now() > deadline) throw new Error(`no finished items on both cards in 120 s: ${itemFiles().length} files`);
      await new Promise((r) => setTimeout(r, 100));
    }
    run.kill('SIGKILL');
    await run;
    // its stage process and shard process stop once orphaned
    const pids = [...new Set(inferCalls(p).map((c) => c.pid))];
    expect(pids).toHaveLength(2);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (pids.some(alive)) {
      if (Date.now() > deadline + 15_000) throw new Error('the orphaned stage processes did not stop');
      await new Promise((r) => setTimeout(r, 100));
    }
    const kept = itemFiles().length;
    expect(kept).toBeLessThan(12);
    const before = inferCalls(p).length;
    const again = await p.cli(['run', '--backend', 'wasm', '--workers', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`infer: ${12 - kept} of 12 items to compute (${kept} resumed, 0 reused from earlier artifacts)`);
    expect(inferCalls(p).length - before).toBe(12 - kept);
  }, 180_000);

  it('a share that fails fails the stage in one line naming its card; what the shares finished stays for the next run', async () => {
    const p = project('gpu-shards-failing');
    writeFileSync(p.pipeline, pipeline(''));
    const gpus = { PATH: `${fakeNvidiaSmi(p.dir, ['Fake GPU A', 'Fake GPU B'])}:${process.env.PATH}`, DCSP_GPU_SIMULATE: '1' };
    // chunks of 2 dealt in turn: card 1 computes items 2-3, then fails on item 6; card 0's items are slower
    const failing = {
      ...gpus,
      DCSP_TEST_ITEM_MS: '100',
      DCSP_TEST_SLOW_GPU: '0',
      DCSP_TEST_SLOW_FACTOR: '3',
      DCSP_TEST_FAIL_GPU: '1',
      DCSP_TEST_FAIL_ITEM: 'item-0006',
    };
    const r = await p.cli(['run', '--backend', 'wasm', '--gpus', 'auto', '--workers', '1'], { env: failing });
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.includes('item-0006 failed on card 1'));
    expect(lines.length, r.stderr).toBeGreaterThanOrEqual(1);
    expect(
      lines.some((l) => l.includes('CUDA_VISIBLE_DEVICES=1')),
      r.stderr,
    ).toBe(true);
    // card 1 finished items 2 and 3 before it failed; nothing was committed
    const onCard1 = inferCalls(p)
      .filter((c) => c.gpu === '1')
      .map((c) => c.id);
    expect(onCard1).toEqual(expect.arrayContaining(['item-0002', 'item-0003']));
    expect(existsSync(join(p.cache, 'refs', 'base', 'infer'))).toBe(false);
    const computed = new Set(inferCalls(p).map((c) => c.id)).size;
    const before = inferCalls(p).length;
    const again = await p.cli(['run', '--backend', 'wasm', '--workers', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(p.cache, 'refs', 'base', 'infer'))).toBe(true);
    // items computed before the failure (the failing one excepted) are not computed again
    const redone = inferCalls(p)
      .slice(before)
      .map((c) => c.id);
    expect(redone).not.toContain('item-0002');
    expect(redone).not.toContain('item-0003');
    expect(redone).toContain('item-0006');
    expect(redone.length).toBeLessThanOrEqual(12 - (computed - 1));
  }, 180_000);
});
