// Numerics in the keys, through the CLI, on stand-in stages (no TensorFlow is loaded): a tensor
// stage is keyed by what it computes with and its process is set up as its key says, whatever
// runs beside it; a stage that touches no tensors keeps its key on every backend; status says why
// numerics make a stage stale; a guard param re-keys nothing; the opt-out is marked. The native
// part needs the tfjs-node binding to be built (its TensorFlow build is part of the key): CI's
// tfjs-node pass runs it.
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNumericsSetting } from '../../lib/tensor/numerics.ts';
import { makeProject, resetCalls, type Project } from './project.ts';

const BUILT = readNumericsSetting({ DCSP_BACKEND: 'tfjs-node' }).setting.backend === 'tfjs-node';

interface Outcome {
  stage: string;
  status: 'cached' | 'run';
  key: string;
}

const made: Project[] = [];
afterAll(() => {
  for (const p of made) rmSync(p.dir, { recursive: true, force: true });
});

function project(name: string): Project {
  const p = makeProject(name);
  copyFileSync(join(p.dir, 'numerics.yaml'), p.pipeline);
  made.push(p);
  return p;
}

async function run(p: Project, args: string[]): Promise<Record<string, Outcome>> {
  const r = await p.cli(['run', '--json', '--workers', '2', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes.map((o) => [o.stage, o]));
}

async function status(p: Project, args: string[]): Promise<Record<string, { state: string; key: string | null; reasons: string[] }>> {
  const r = await p.cli(['status', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries(
    (JSON.parse(r.stdout) as { stages: { stage: string; state: string; key: string | null; reasons: string[] }[] }).stages.map((s) => [s.stage, s]),
  );
}

const manifest = (p: Project, stage: string, key: string) =>
  JSON.parse(readFileSync(join(p.cache, stage, key, 'manifest.json'), 'utf8')) as { numerics?: Record<string, unknown>; nondeterministic?: boolean };
const settings = (p: Project, stage: string, key: string) =>
  JSON.parse(readFileSync(join(p.cache, stage, key, 'settings.json'), 'utf8')) as Record<string, string | null>;

describe('numerics in the keys (portable backends)', () => {
  let p: Project;
  let wasm: Record<string, Outcome>;
  beforeAll(async () => {
    p = project('numerics');
    wasm = await run(p, ['--backend', 'wasm']);
  });

  it('keys a tensor stage by its backend and records it; a stage without tensors has no numerics', () => {
    expect(manifest(p, 'fit', wasm.fit.key).numerics).toEqual({ backend: 'wasm' });
    expect(manifest(p, 'score', wasm.score.key).numerics).toEqual({ backend: 'wasm' });
    expect(manifest(p, 'double', wasm.double.key).numerics).toBeUndefined();
    expect(settings(p, 'fit', wasm.fit.key)).toEqual({ backend: 'wasm', threads: null, deterministicOps: null, onednn: null });
  });

  it('status names the backend change for the tensor stages only; the others stay cached under their key', async () => {
    const st = await status(p, ['--backend', 'cpu']);
    for (const stage of ['source', 'double']) expect(st[stage]).toEqual(expect.objectContaining({ state: 'cached', key: wasm[stage].key }));
    for (const stage of ['fit', 'score']) {
      expect(st[stage].state).toBe('stale');
      expect(st[stage].reasons).toEqual(['numerics changed: backend wasm -> cpu']);
      expect(st[stage].key).not.toBe(wasm[stage].key);
    }
  });

  it('a guard param that did not fire re-keys nothing', async () => {
    resetCalls(p);
    const again = await run(p, ['--backend', 'wasm', '--set', 'fit.patience=2']);
    expect(again.fit).toEqual(expect.objectContaining({ status: 'cached', key: wasm.fit.key }));
    expect(p.calls('fit')).toEqual([]);
    expect((await run(p, ['--backend', 'wasm', '--set', 'fit.steps=4'])).fit.status).toBe('run');
  });
});

describe.runIf(BUILT)('numerics in the keys on tfjs-node (its binding is built here)', () => {
  let p: Project;
  let node: Record<string, Outcome>;
  beforeAll(async () => {
    p = project('numerics-native');
    // two trainings may run side by side on the 2 jobs: each still gets the threads its key names
    node = await run(p, ['--backend', 'tfjs-node', '--tf-threads', '3', '--jobs', '2']);
  });

  it('sets each process up as its key says: trainings on the set threads, items on one, deterministic kernels', () => {
    const build = readNumericsSetting({ DCSP_BACKEND: 'tfjs-node' }).setting.tensorflow;
    for (const stage of ['fit', 'fit-b']) {
      expect(manifest(p, stage, node[stage].key).numerics).toEqual({ backend: 'tfjs-node', tensorflow: build, threads: 3, deterministic: true });
      expect(settings(p, stage, node[stage].key)).toEqual({ backend: 'tfjs-node', threads: '3', deterministicOps: '1', onednn: '0' });
    }
    expect(manifest(p, 'score', node.score.key).numerics).toEqual({ backend: 'tfjs-node', tensorflow: build, threads: 1, deterministic: true });
    expect(manifest(p, 'fit', node.fit.key).nondeterministic).toBeUndefined();
  });

  it("the per-item stage's items ran with one thread each", async () => {
    const { Artifact } = await import('../../lib/store/artifact.ts');
    const items = await (await Artifact.open(join(p.cache, 'score', node.score.key))).items('threads');
    const seen = await Promise.all(items.ids.map(async (id) => (await items.read(id)).data[0]));
    expect(new Set(seen)).toEqual(new Set([1]));
  });

  it('a wasm key and a tfjs-node key differ for tensor stages only', async () => {
    const st = await status(p, ['--backend', 'wasm']);
    expect(st.source.key).toBe(node.source.key);
    expect(st.double.key).toBe(node.double.key);
    expect(st.fit.reasons).toEqual(['numerics changed: backend tfjs-node -> wasm']);
    expect(st.fit.key).not.toBe(node.fit.key);
  });

  it('another training thread count re-keys the trainings, not the per-item stage', async () => {
    const st = await status(p, ['--backend', 'tfjs-node', '--tf-threads', '2']);
    expect(st.fit.reasons).toEqual(['numerics changed: threads 3 -> 2']);
    expect(st['fit-b'].reasons).toEqual(['numerics changed: threads 3 -> 2']);
    expect(st.score).toEqual(expect.objectContaining({ state: 'cached', key: node.score.key }));
  });

  it("--nondeterministic: TensorFlow's own kernels, another key, and the artifact marked so", async () => {
    const loose = await run(p, ['--backend', 'tfjs-node', '--tf-threads', '3', '--nondeterministic']);
    expect(loose.fit.key).not.toBe(node.fit.key);
    expect(settings(p, 'fit', loose.fit.key)).toEqual({ backend: 'tfjs-node', threads: '3', deterministicOps: '0', onednn: '1' });
    expect(manifest(p, 'fit', loose.fit.key)).toEqual(expect.objectContaining({ nondeterministic: true }));
    const text = await p.cli(['status', '--backend', 'tfjs-node', '--tf-threads', '3', '--nondeterministic']);
    expect(text.stdout).toMatch(/fit +cached .*computed with nondeterministic kernels/);
    expect(text.stdout).not.toMatch(/double .*nondeterministic/);
  });
});
