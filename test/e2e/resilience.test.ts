// The micro DAG as a hostile user treats it, through the CLI: the whole process group SIGKILLed at
// a dozen points (seeded), a lock held by a live process, a same-size edit of a dataset image and
// of a checkpoint. Every committed artifact must equal, by content hash, an uninterrupted run's.
// Every run is the light micro (./light-micro.ts): what is compared is bytes, not sizes.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committed, type Committed } from './committed.ts';
import { LIGHT_MICRO } from './light-micro.ts';
import { Rng } from '../../lib/data/prng.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/pipeline.mjs');
const base = mkdtempSync(join(tmpdir(), 'dcsp-resilience-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** What in `got` is not in the reference, byte for byte (empty: nothing differs). */
function differences(got: Committed, ref: Committed): string[] {
  const diff: string[] = [];
  for (const [stage, keys] of Object.entries(got)) {
    for (const [key, hash] of Object.entries(keys)) {
      if (ref[stage]?.[key] !== hash) diff.push(`${stage}/${key.slice(0, 12)}${ref[stage]?.[key] ? ' (other content)' : ' (key not in the reference run)'}`);
    }
  }
  return diff;
}

async function run(cache: string, args: string[] = []): Promise<{ code: number; stderr: string }> {
  const r = await execa(process.execPath, [BIN, 'run', '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache, ...args], {
    cwd: ROOT,
    reject: false,
    env: { FORCE_COLOR: '0' },
  });
  return { code: r.exitCode ?? -1, stderr: String(r.stderr) };
}

/** The key the cache's one variant (micro with the light settings, micro@<digest>) names for `stage`. */
function refKey(cache: string, stage: string): string {
  const variants = readdirSync(join(cache, 'refs')).filter((v) => v.startsWith('micro@'));
  expect(variants).toHaveLength(1);
  return readFileSync(join(cache, 'refs', variants[0], stage), 'utf8').trim();
}

// the order stages start in on the micro profile (two lanes): a kill aimed at a stage that is
// already done lands on the next one that starts
const ORDER = [
  'dataset',
  'saliency-s1',
  'fcan-pretrain',
  'erase-s2',
  'erase-s3',
  'attention',
  'eval-direct',
  'cues',
  'cues-oracle',
  'train',
  'train-oracle',
  'adapt',
  'eval-oracle',
  'retrain',
  'eval',
  'report',
];
const PER_ITEM = new Set(['saliency-s1', 'erase-s2', 'erase-s3', 'attention', 'eval-direct', 'cues', 'cues-oracle', 'adapt', 'eval-oracle', 'eval']);
const TRAINING = new Set(['fcan-pretrain', 'train', 'train-oracle', 'retrain']);

interface Kill {
  target: string;
  delayMs: number;
  /** stages that had started and not finished when the group was killed */
  running: string[];
  killed: boolean;
}

/** One run, killed (process group, SIGKILL) `delayMs` after the first stage at or after `target` starts. */
function runAndKill(cache: string, target: string, delayMs: number): Promise<Kill> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const running = new Set<string>();
    let timer: NodeJS.Timeout | null = null;
    let snapshot: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const m = /^([a-z0-9-]+): (running|done in)/.exec(line);
      if (!m) return;
      if (m[2] === 'running') running.add(m[1]);
      else running.delete(m[1]);
      if (m[2] === 'running' && timer === null && ORDER.indexOf(m[1]) >= ORDER.indexOf(target)) {
        timer = setTimeout(() => {
          snapshot = [...running];
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // the run ended on its own meanwhile
          }
        }, delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ target, delayMs, running: snapshot, killed: signal === 'SIGKILL' });
    });
  });
}

describe('resilience on the micro DAG (black box, through the CLI)', () => {
  const refCache = join(base, 'reference');
  let ref: Committed;
  beforeAll(async () => {
    const r = await run(refCache);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    ref = committed(refCache);
    expect(Object.keys(ref).sort()).toEqual([...ORDER].sort());
  }, 600_000);

  it('killed at 12 seeded points, resumed each time: every committed artifact equals the uninterrupted run', async () => {
    const cache = join(base, 'killed');
    const rng = new Rng(20261201);
    const targets = [
      'dataset',
      'saliency-s1',
      'fcan-pretrain',
      'fcan-pretrain',
      'erase-s3',
      'attention',
      'eval-direct',
      'cues',
      'train',
      'train-oracle',
      'adapt',
      'retrain',
      'eval',
      'report',
    ];
    const kills: Kill[] = [];
    for (const target of targets) {
      const k = await runAndKill(cache, target, Math.round(100 + rng.next() * 1400));
      kills.push(k);
      // after every kill, nothing committed differs from the reference
      expect(differences(committed(cache), ref), JSON.stringify(k)).toEqual([]);
      if (!k.killed) break;
    }
    const landed = kills.filter((k) => k.killed);
    console.log(
      `kill points: ${kills.map((k) => `${k.killed ? 'killed' : 'finished'} ${k.delayMs} ms after ${k.target} [${k.running.join(' + ')}]`).join('; ')}`,
    );
    expect(landed.length, JSON.stringify(kills)).toBeGreaterThanOrEqual(10);
    // the kills hit a per-item stage, a training stage, and two stages running side by side
    expect(
      landed.some((k) => k.running.some((s) => PER_ITEM.has(s))),
      JSON.stringify(kills),
    ).toBe(true);
    expect(
      landed.some((k) => k.running.some((s) => TRAINING.has(s))),
      JSON.stringify(kills),
    ).toBe(true);
    expect(
      landed.some((k) => k.running.length >= 2),
      JSON.stringify(kills),
    ).toBe(true);
    const last = await run(cache);
    expect(last.code, last.stderr.slice(-2000)).toBe(0);
    expect(differences(committed(cache), ref)).toEqual([]);
    expect(committed(cache)).toEqual(ref);
  }, 900_000);

  it('two per-item stages that wait on a live lock, then run side by side in one process, give the same bytes', async () => {
    const cache = join(base, 'locked');
    cpSync(refCache, cache, { recursive: true });
    // the owner lives until the run has seen both locks held, then exits: the run takes them over
    const sleeper = spawn('sleep', ['300']);
    for (const stage of ['attention', 'eval-direct']) {
      const key = refKey(cache, stage);
      rmSync(join(cache, stage, key), { recursive: true });
      writeFileSync(
        join(cache, stage, `${key}.lock`),
        JSON.stringify({ pid: sleeper.pid, host: (await import('node:os')).hostname(), started: new Date().toISOString() }),
      );
    }
    const child = execa(process.execPath, [BIN, 'run', '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache], {
      cwd: ROOT,
      reject: false,
      env: { FORCE_COLOR: '0' },
    });
    const waiting = new Set<string>();
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const m = /^(attention|eval-direct): waiting for pid (\d+)/.exec(line);
      if (m && Number(m[2]) === sleeper.pid) waiting.add(m[1]);
      if (waiting.size === 2) sleeper.kill();
    });
    const done = await child;
    const r = { code: done.exitCode ?? -1, stderr: String(done.stderr) };
    sleeper.kill();
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect([...waiting].sort()).toEqual(['attention', 'eval-direct']);
    expect(r.stderr).not.toMatch(/WARNING/);
    expect(committed(cache)).toEqual(ref);
  }, 300_000);

  it('a same-size edit of a dataset image and of a checkpoint is caught before use; results equal the untampered run', async () => {
    const cache = join(base, 'tampered');
    cpSync(refCache, cache, { recursive: true });
    const datasetKey = refKey(cache, 'dataset');
    const jpegDir = join(cache, 'dataset', datasetKey, 'toy', 'JPEGImages');
    const jpeg = join(jpegDir, readdirSync(jpegDir).sort()[0]);
    const image = readFileSync(jpeg);
    for (let i = image.length >> 1; i < (image.length >> 1) + 16; i++) image[i] ^= 0x5a;
    writeFileSync(jpeg, image);
    const weights = join(cache, 'train', refKey(cache, 'train'), 'checkpoint', 'weights.bin');
    const w = readFileSync(weights);
    w.writeFloatLE(w.readFloatLE(4096) + 0.5, 4096);
    writeFileSync(weights, w);
    // the stages that read them are to be recomputed: a miss that must not be built on the edits
    for (const stage of ['saliency-s1', 'adapt']) rmSync(join(cache, stage, refKey(cache, stage)), { recursive: true });
    const r = await run(cache);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toMatch(/dataset: cached artifact [0-9a-f]{12} is damaged \(toy\/JPEGImages\/.*\.jpg content changed\); recomputing/);
    expect(r.stderr).toMatch(/train: cached artifact [0-9a-f]{12} is damaged \(checkpoint\/weights\.bin content changed\); recomputing/);
    expect(committed(cache)).toEqual(ref);
    // the edited copies are set aside, never served
    expect(readdirSync(join(cache, 'dataset')).some((e) => e.startsWith(`${datasetKey}.corrupt-`))).toBe(true);
    expect((await execa(process.execPath, [BIN, 'verify', '--cache', cache], { cwd: ROOT, reject: false })).exitCode).toBe(0);
  }, 300_000);
});
