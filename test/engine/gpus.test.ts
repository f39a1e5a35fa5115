// GPU slots on the engine fixture's stand-in stages (no TensorFlow is loaded), through the CLI,
// with the devices simulated: a fake nvidia-smi and DCSP_GPU_SIMULATE=1. Its two trainings would run
// side by side; on one GPU they take turns, the per-item tensor stage runs in a child process that
// sees its card, and the stages without tensors hold none. Without the simulation, the same
// --gpus on a CPU backend is refused before the cache exists.
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeNvidiaSmi, heldFrom, mostAtOnce } from '../fixtures/fake-gpus.ts';
import { makeProject, type Project } from './project.ts';

const made: Project[] = [];
afterAll(() => {
  for (const p of made) rmSync(p.dir, { recursive: true, force: true });
});

function project(name: string): { p: Project; env: Record<string, string> } {
  const p = makeProject(name);
  copyFileSync(join(p.dir, 'numerics.yaml'), p.pipeline);
  made.push(p);
  return { p, env: { PATH: `${fakeNvidiaSmi(p.dir, ['Fake GPU A', 'Fake GPU B'])}:${process.env.PATH}` } };
}

describe('GPU slots in a run', () => {
  it('on one GPU: every tensor stage holds it in turn, in a process that sees only it; the others hold none', async () => {
    const { p, env } = project('gpus-one');
    const r = await p.cli(['run', '--backend', 'wasm', '--gpus', '1', '--workers', '2'], { env: { ...env, DCSP_GPU_SIMULATE: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^GPUs: 1 \(Fake GPU B, 16384 MiB\); one tensor stage per GPU at a time; backend wasm; SIMULATED/m);
    const held = heldFrom(p.cache);
    const byStage = Object.fromEntries(held.map((h) => [h.stage, h]));
    expect(Object.keys(byStage).sort()).toEqual(['double', 'fit', 'fit-b', 'score', 'source']);
    for (const s of ['fit', 'fit-b', 'score']) {
      expect(byStage[s]).toMatchObject({ gpu: 1, backend: 'wasm', simulated: true });
      expect(byStage[s].env).toEqual({ CUDA_VISIBLE_DEVICES: '1', TF_FORCE_GPU_ALLOW_GROWTH: 'true' });
    }
    for (const s of ['source', 'double']) expect(byStage[s]).toMatchObject({ gpu: null, backend: 'none', env: { CUDA_VISIBLE_DEVICES: null } });
    // the two trainings would overlap by 1.5 s each (fit.ts): on one card they did not
    expect(mostAtOnce(held.filter((h) => h.gpu !== null))).toEqual(new Map([['local/1', 1]]));
    // the device is a run fact: the keys and bytes are a run's without GPUs
    const plain = project('gpus-none');
    const q = await plain.p.cli(['run', '--backend', 'wasm', '--json']);
    expect(q.code, q.stderr).toBe(0);
    for (const o of (JSON.parse(q.stdout) as { outcomes: { stage: string; key: string }[] }).outcomes) {
      const files = (cache: string) => readFileSync(join(cache, o.stage, o.key, 'files.json'), 'utf8');
      expect(files(p.cache), o.stage).toBe(files(plain.p.cache));
    }
  });

  it('on three GPUs: the two trainings run at once, each on its own card', async () => {
    const { p } = project('gpus-three');
    // without the per-item tensor stage: it would take every card free when it starts, so the
    // second training would wait for one of its shards (that is gpu-shards.test.ts)
    const yaml = readFileSync(p.pipeline, 'utf8');
    writeFileSync(p.pipeline, yaml.replace('  score:\n    inputs: { values: source }\n', ''));
    expect(readFileSync(p.pipeline, 'utf8')).not.toContain('score');
    const env = { PATH: `${fakeNvidiaSmi(join(p.dir, 'three'), ['A', 'B', 'C'])}:${process.env.PATH}`, DCSP_GPU_SIMULATE: '1' };
    const r = await p.cli(['run', '--backend', 'wasm', '--gpus', 'auto', '--jobs', '4'], { env });
    expect(r.code, r.stderr).toBe(0);
    const held = heldFrom(p.cache);
    const fits = held.filter((h) => h.stage.startsWith('fit'));
    expect(fits[0].gpu).not.toBe(fits[1].gpu);
    // fit-b waits for double, which is quick: they overlapped
    expect(fits[0].from < fits[1].to && fits[1].from < fits[0].to).toBe(true);
  });

  it('refuses --gpus on a CPU backend in one line, before the cache exists', async () => {
    const { p, env } = project('gpus-refused');
    const r = await p.cli(['run', '--backend', 'wasm', '--gpus', 'auto'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'error: pipeline run: --gpus auto finds GPUs, but backend wasm cannot compute on a GPU (only tfjs-node-gpu can: npm run tfjs-native -- --gpu); use --gpus none',
    );
    expect(existsSync(p.cache)).toBe(false);
  });
});
