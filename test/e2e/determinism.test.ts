// One key, one set of bytes, whatever the schedule, on the backend the test runs on (DCSP_BACKEND;
// CI runs this file on wasm and on tfjs-node): the micro DAG in one go, on two lanes, and the same
// DAG on a single lane (`--jobs 1`) in pieces: `--until erase-s3`, then the rest SIGKILLed right
// after a checkpoint of fcan-pretrain, again right after one of train, and resumed. Both commit
// the same content under the same keys for every artifact, so the split, the single-lane schedule
// and the kills each leave the bytes as they were (any one of them changing a byte fails the
// comparison). Before trainings had a fixed thread count, on tfjs-node the one-go run and a split
// one gave fcan-pretrain the same key and other bytes.
// Then, where the tfjs-node binding is built, a cache of the other backend: the tensor stages get
// other keys, the stages that touch no tensors the same keys and bytes.
// Every run is the light micro (./light-micro.ts): what is compared is keys and bytes, not sizes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committed, type Committed } from './committed.ts';
import { LIGHT_MICRO } from './light-micro.ts';
import { readNumericsSetting } from '../../lib/tensor/numerics.ts';
import { TEST_BACKEND } from '../tensor/test-backend.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/pipeline.mjs');
const base = mkdtempSync(join(tmpdir(), 'dcsp-determinism-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function run(cache: string, args: string[] = [], backend: string = TEST_BACKEND): Promise<void> {
  const r = await execa(process.execPath, [BIN, 'run', '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache, '--backend', backend, ...args], {
    cwd: ROOT,
    reject: false,
    env: { FORCE_COLOR: '0' },
  });
  expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
}

/** A run SIGKILLed (its whole process group) as soon as `stage` has written a training checkpoint. */
function killAtCheckpoint(cache: string, stage: string, args: string[] = []): Promise<boolean> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache, '--backend', TEST_BACKEND, ...args], {
      cwd: ROOT,
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const dir = join(cache, stage);
    const poll = setInterval(() => {
      const partials = existsSync(dir) ? readdirSync(dir).filter((e) => e.endsWith('.partial')) : [];
      if (!partials.some((p) => existsSync(join(dir, p, 'work', 'checkpoints', 'model.json')))) return;
      clearInterval(poll);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // it ended meanwhile
      }
    }, 25);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      done(signal === 'SIGKILL');
    });
  });
}

describe(`determinism of the micro DAG on ${TEST_BACKEND}`, () => {
  let ref: Committed;
  beforeAll(async () => {
    await run(join(base, 'one-go'));
    ref = committed(join(base, 'one-go'));
    expect(Object.keys(ref)).toHaveLength(16);
    // every stage committed once: one key each
    for (const keys of Object.values(ref)) expect(Object.keys(keys)).toHaveLength(1);
  }, 900_000);

  it('on a single lane (--jobs 1): --until erase-s3, then the rest SIGKILLed after a checkpoint of fcan-pretrain and of train, resumed: the same keys, the same bytes', async () => {
    const cache = join(base, 'single-lane-split-killed');
    const single = ['--jobs', '1'];
    await run(cache, ['--until', 'erase-s3', ...single]);
    expect(await killAtCheckpoint(cache, 'fcan-pretrain', single)).toBe(true);
    expect(await killAtCheckpoint(cache, 'train', single)).toBe(true);
    await run(cache, single);
    expect(committed(cache)).toEqual(ref);
  }, 900_000);

  const other = TEST_BACKEND === 'tfjs-node' ? 'wasm' : 'tfjs-node';
  const nativeBuilt = readNumericsSetting({ DCSP_BACKEND: 'tfjs-node' }).setting.backend === 'tfjs-node';
  it.runIf(nativeBuilt && (TEST_BACKEND === 'wasm' || TEST_BACKEND === 'tfjs-node'))(
    `a ${other} cache: other keys for the tensor stages, the same keys and bytes for the others`,
    async () => {
      const cache = join(base, other);
      await run(cache, ['--until', 'cues'], other);
      const theirs = committed(cache);
      const key = (c: Committed, stage: string) => Object.keys(c[stage])[0];
      for (const stage of ['dataset', 'saliency-s1', 'erase-s2', 'erase-s3']) {
        expect(key(theirs, stage), stage).toBe(key(ref, stage));
        expect(theirs[stage], stage).toEqual(ref[stage]);
      }
      for (const stage of ['fcan-pretrain', 'attention']) expect(key(theirs, stage), stage).not.toBe(key(ref, stage));
      // cues touches no tensors: its key follows its inputs' contents (attention's differ here)
      const same = ref.attention[key(ref, 'attention')] === theirs.attention[key(theirs, 'attention')];
      expect(key(theirs, 'cues') === key(ref, 'cues')).toBe(same);
    },
    900_000,
  );
});
