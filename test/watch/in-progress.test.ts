// What `pipeline status` makes of the locks and progress files on a cache, on locks written by the
// test: a live process of this host, a dead one, another host's with a lease renewed or long
// silent, a lock still being written, and a key a distributed worker took (from the run log).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../lib/store/store.ts';
import { workInProgress } from '../../lib/watch/in-progress.ts';
import { etaSeconds, recordingProgress, readProgress } from '../../lib/watch/progress-file.ts';
import { describeWork } from '../../lib/watch/work-line.ts';
import { silentProgress } from '../../lib/types.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-inprogress-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const key = (c: string): string => c.repeat(64);

function lock(store: Store, stage: string, k: string, owner: object | string, ageMs = 0): void {
  mkdirSync(store.stageDir(stage), { recursive: true });
  const path = store.lockPath(stage, k);
  writeFileSync(path, typeof owner === 'string' ? owner : JSON.stringify(owner));
  if (ageMs) utimesSync(path, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
}

describe('work in progress on a cache', () => {
  it('judges each lock as its next taker would, and says how far, how fast and who', async () => {
    const store = new Store(join(base, 'cache'));
    const started = new Date(Date.now() - 90_000).toISOString();
    // this process computes train: its progress as the executor records it
    lock(store, 'train', key('a'), { pid: process.pid, host: hostname(), started });
    mkdirSync(store.partialDir('train', key('a')), { recursive: true });
    const p = recordingProgress(silentProgress, store.partialDir('train', key('a')), 'train');
    p.start(10_000, 'deeplab-lite-os4 seg iterations');
    p.tick(4000);
    await new Promise((r) => setTimeout(r, 50));
    p.tick(2, { loss: 0.53, lr: 0.0004 });
    p.done();
    // a killed run's lock
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    lock(store, 'cues', key('b'), { pid: dead, host: hostname(), started });
    // other hosts: a lease renewed a moment ago, and one silent for a minute (lease 10 s)
    lock(store, 'attention', key('c'), { pid: 7, host: 'gpu-node-2', started, leaseMs: 10_000 });
    lock(store, 'eval', key('d'), { pid: 8, host: 'gpu-node-3', started, leaseMs: 10_000 }, 60_000);
    // a lock being written (not JSON yet), and one left unreadable long ago
    lock(store, 'adapt', key('e'), '{"pid"');
    lock(store, 'retrain', key('f'), '', 60_000);
    // a worker took attention's key: the run log says which
    mkdirSync(store.runsDir, { recursive: true });
    writeFileSync(
      join(store.runsDir, 'runs.jsonl'),
      `${JSON.stringify({ run: 'r', event: 'started', stage: 'attention', key: key('c'), worker: 'gpu-node-2/7', job: `attention-${key('c')}`, attempt: 2 })}\n`,
    );

    const work = await workInProgress(store);
    const by = Object.fromEntries(work.map((w) => [w.stage, w]));
    expect(Object.keys(by).sort()).toEqual(['adapt', 'attention', 'cues', 'eval', 'retrain', 'train']);
    expect(by.train.state).toBe('running');
    expect(by.train.progress).toMatchObject({ done: 4002, total: 10_000, label: 'deeplab-lite-os4 seg iterations', fields: { loss: 0.53, lr: 0.0004 } });
    // the rate counts from the first tick: a resumed training's jump to its checkpoint is not speed
    expect(by.train.progress!.rate).toBeGreaterThan(0);
    expect(by.train.progress!.rate).toBeLessThan(2 / 0.04);
    expect(by.train.eta).toBeGreaterThan(0);
    expect(describeWork(by.train)).toMatch(
      /^deeplab-lite-os4 seg iterations 4,002\/10,000 \(40%\), [\d.]+\/s, ETA \S+; pid \d+ on \S+ since \d\d:\d\d:\d\d \(1m\d\ds\); loss 0\.53, lr 0\.0004$/,
    );

    expect(by.cues.state).toBe('abandoned');
    expect(describeWork(by.cues)).toBe(`lock of pid ${dead} on ${hostname()}, which is gone; the next run takes the lock over and resumes from what was kept`);
    expect(by.attention.state).toBe('running');
    expect(describeWork(by.attention)).toMatch(/^starting: worker gpu-node-2\/7 \(attempt 2\) since \d\d:\d\d:\d\d \(1m\d\ds\)$/);
    expect(by.eval.state).toBe('abandoned');
    expect(by.eval.why).toMatch(/^lock of pid 8 on gpu-node-3, not renewed for 6\d s \(lease 10 s\)$/);
    expect(by.adapt.state).toBe('running');
    expect(by.retrain.state).toBe('abandoned');
  });

  it('reads back what it recorded, and estimates no ETA before a rate is known', async () => {
    const dir = join(base, 'partial');
    mkdirSync(dir, { recursive: true });
    const p = recordingProgress(silentProgress, dir, 'cues');
    p.start(1000, 'items');
    p.tick(8);
    p.done();
    const r = (await readProgress(dir))!;
    expect(r).toMatchObject({ stage: 'cues', label: 'items', done: 8, total: 1000, rate: null, pid: process.pid });
    expect(etaSeconds(r)).toBeNull();
    expect(etaSeconds({ ...r, rate: 2, updated: new Date().toISOString() })).toBeCloseTo(496, 0);
  });
});
