// Configurations that cannot be what a user meant are refused when the run is planned, through the
// CLI: exit 2, one line naming the stage.param, and nothing written to the cache.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const TMP = join(ROOT, 'test/.tmp', `refusals-${process.pid}`);
const cache = join(TMP, 'cache');

async function cli(args: string[], pipeline = join(ROOT, 'pipeline.yaml')): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--pipeline', pipeline, '--cache', cache], { cwd: ROOT, reject: false });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function refusedWith(r: { code: number; stdout: string; stderr: string }, key: string): void {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`${key}:`);
  // nothing computed, nothing half-written (a dot file is the CLI's cache of parsed pipelines)
  const written = existsSync(cache) ? readdirSync(cache).filter((n) => !n.startsWith('.') && n !== 'refs' && n !== 'runs') : [];
  expect(written).toEqual([]);
}

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('plan-time refusals (exit 2, the key named)', () => {
  it('an ImageNet-sized model trained heads-only on a random trunk', async () => {
    refusedWith(await cli(['run', '--profile', 'voc', '--set', 'fcan-pretrain.init=']), 'fcan-pretrain.init');
    const r = await cli(['status', '--profile', 'toy', '--set', 'fcan-pretrain.model=deeplab-largefov-vgg16', '--set', 'fcan-pretrain.headsOnly=true']);
    refusedWith(r, 'fcan-pretrain.init');
    expect(r.stderr).toMatch(/deeplab-largefov-vgg16 trained heads-only/);
    // a from-scratch model given ImageNet weights is refused too; the same model trained whole is fine
    refusedWith(await cli(['status', '--profile', 'toy', '--set', 'fcan-pretrain.init=download']), 'fcan-pretrain.init');
    const ok = await cli(['status', '--profile', 'toy', '--set', 'fcan-pretrain.model=deeplab-largefov-vgg16', '--set', 'fcan-pretrain.headsOnly=false']);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);

  it('a detector that needs weights it does not get', async () => {
    refusedWith(await cli(['run', '--profile', 'micro', '--set', 'saliency-s1.detector=tfjs']), 'saliency-s1.model');
    refusedWith(await cli(['run', '--profile', 'micro', '--set', 'saliency-s1.detector=onnx']), 'saliency-s1.model');
    // dhsnet without saliency-train mapped to its weights (a pipeline that forgot the edge)
    mkdirSync(TMP, { recursive: true });
    const spec = parse(readFileSync(join(ROOT, 'pipeline.yaml'), 'utf8')) as {
      stages: Record<string, { module?: string; inputs?: Record<string, string> } | null>;
    };
    for (const [name, entry] of Object.entries(spec.stages)) {
      spec.stages[name] = { ...entry, module: join(ROOT, entry?.module ?? `stages/${name}.ts`) };
    }
    delete spec.stages['saliency-s1']!.inputs!.weights;
    const file = join(TMP, 'pipeline.yaml');
    writeFileSync(file, stringify(spec));
    refusedWith(await cli(['run', '--profile', 'micro', '--set', 'saliency-s1.detector=dhsnet'], file), 'saliency-s1.model');
    const ok = await cli(['status', '--profile', 'micro', '--set', 'saliency-s1.detector=dhsnet']);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);

  it('an oracle on images without ground truth', async () => {
    const r = await cli(['run', '--profile', 'voc', '--set', 'dataset.voc.sbdGroundTruth=false']);
    refusedWith(r, 'dataset.voc.sbdGroundTruth');
    expect(r.stderr).toMatch(/source: gt/);
  }, 60_000);

  it('a run whose training the preflight estimates at more than 30 days, unless --yes', async () => {
    // measured here (a few training steps in child processes): nothing is trained, nothing written
    const r = await cli(['run', '--profile', 'micro', '--set', 'train.iterations=1e12']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^error: preflight: the training stages of this run \(.*\btrain\b.*\) need about [\d,]+ days of compute on \S+, measured here, more than the 30 days a run may take unasked; check their iterations, or pass --yes to run it anyway$/,
    );
    const written = existsSync(cache) ? readdirSync(cache).filter((n) => !n.startsWith('.')) : [];
    expect(written).toEqual([]);
    const help = await cli(['run', '--help']);
    expect(help.stdout).toMatch(/--yes, -y +run even when the preflight estimates more than 30 days/);
  }, 180_000);
});
