// `follows:` in pipeline.yaml: a comparison stage takes params from the stages it is compared with
// (profile and --set included) under its own layers, and a bad `follows` names where it is.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { resolvePipeline } from '../../lib/dag/resolve.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PIPELINE = join(ROOT, 'pipeline.yaml');
const TMP = join(ROOT, 'test/.tmp', `follows-${process.pid}`);
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const params = async (opts: { profile?: string; set?: string[] }, file = PIPELINE) => {
  const r = await resolvePipeline(file, opts);
  return (stage: string) => r.stages.find((s) => s.name === stage)!.params;
};

describe('follows', () => {
  it('eval-oracle and eval-direct follow eval and cues; train-oracle gets train + retrain iterations', async () => {
    const p = await params({ profile: 'micro', set: ['eval.crf=false', 'eval.scales=[1, 0.5]', 'cues.gamma=0.3', 'retrain.iterations=7', 'train.lr=0.002'] });
    expect(p('eval-oracle')).toMatchObject({ crf: false, scales: [1, 0.5], checkpoint: 'train' });
    expect(p('eval-direct')).toMatchObject({ gamma: 0.3, scales: [1, 0.5] });
    expect(p('train-oracle')).toMatchObject({ iterations: 20 + 7, lr: 0.002, optimizer: 'adam', crop: 64 });
    // a stage's own --set still wins over what it follows
    const q = await params({ profile: 'micro', set: ['eval.crf=false', 'eval-oracle.crf=true', 'train-oracle.iterations=5'] });
    expect(q('eval-oracle').crf).toBe(true);
    expect(q('train-oracle').iterations).toBe(5);
    // and the run says so, plainly
    const notes = (await resolvePipeline(PIPELINE, { profile: 'micro', set: ['eval.crf=false', 'eval-oracle.crf=true', 'train-oracle.iterations=5'] })).notes;
    expect([...notes].sort()).toEqual([
      "eval-oracle.crf is true, not eval's false, which it follows: the comparison differs there",
      "train-oracle.iterations is 5, not train+retrain's 40, which it follows: the comparison differs there",
    ]);
    expect((await resolvePipeline(PIPELINE, { profile: 'micro' })).notes).toEqual([]);
  });

  it('refuses an unknown stage, a key the followed stage has not, and a sum of non-numbers, naming the file', async () => {
    mkdirSync(TMP, { recursive: true });
    const write = (edit: (spec: { stages: Record<string, Record<string, unknown> | null> }) => void): string => {
      const spec = parse(readFileSync(PIPELINE, 'utf8')) as { stages: Record<string, Record<string, unknown> | null> };
      for (const [name, entry] of Object.entries(spec.stages))
        spec.stages[name] = { ...entry, module: join(ROOT, (entry?.module as string | undefined) ?? `stages/${name}.ts`) };
      edit(spec);
      const file = join(TMP, `p-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, stringify(spec));
      return file;
    };
    await expect(
      resolvePipeline(
        write((s) => {
          s.stages['eval-oracle']!.follows = { evl: ['crf'] };
        }),
      ),
    ).rejects.toThrow(/p-\w+\.yaml:\d+:\d+: stage eval-oracle follows unknown stage 'evl'/);
    await expect(
      resolvePipeline(
        write((s) => {
          s.stages['eval-oracle']!.follows = { cues: ['gamma'] };
        }),
      ),
    ).rejects.toThrow(/eval-oracle: gamma|eval-oracle\.gamma/);
    await expect(
      resolvePipeline(
        write((s) => {
          s.stages['eval-oracle']!.follows = { train: ['nope'] };
        }),
      ),
    ).rejects.toThrow(/follows train\.nope, which train has not/);
    await expect(
      resolvePipeline(
        write((s) => {
          s.stages['train-oracle']!.follows = { 'train+retrain': ['optimizer'] };
        }),
      ),
    ).rejects.toThrow(/train\.optimizer \+ retrain\.optimizer, which are not all numbers/);
  });
});
