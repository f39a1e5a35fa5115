// The real dataset and saliency stages on the micro toy profile, through the CLI.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const cache = mkdtempSync(join(tmpdir(), 'dcsp-micro-'));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--profile', 'micro', '--cache', cache, '--workers', '2'], {
    cwd: ROOT,
    reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function statuses(stdout: string): Record<string, string> {
  return Object.fromEntries((JSON.parse(stdout) as { outcomes: { stage: string; status: string }[] }).outcomes.map((o) => [o.stage, o.status]));
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON metrics, walked by the paths each test asserts on (a wrong path fails its expect)
function manifest(stage: string): { metrics: Record<string, any>; key: string } {
  const dir = join(cache, stage);
  const [key] = readdirSync(dir).filter((e) => /^[0-9a-f]{64}$/.test(e));
  return JSON.parse(readFileSync(join(dir, key, 'manifest.json'), 'utf8'));
}

describe('dataset and saliency stages (micro profile)', () => {
  let first: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    first = await cli(['run', '--until', 'erase-s3', '--json']);
  });

  it('make the toy dataset, print its summary, and store S1, S2, S3 for every train image', async () => {
    expect(first.code, first.stderr).toBe(0);
    expect(statuses(first.stdout)).toEqual({ dataset: 'run', 'saliency-s1': 'run', 'erase-s2': 'run', 'erase-s3': 'run' });
    expect(first.stderr).toMatch(/train +24 +24 /);
    expect(first.stderr).toMatch(/val +12 +12 /);
    const ds = manifest('dataset');
    expect(ds.metrics.train.images).toBe(24);
    const root = zarr.root(new FileSystemStore(join(cache, 'erase-s3', manifest('erase-s3').key, 'data.zarr')));
    const s3 = await zarr.open.v3(root.resolve('s'), { kind: 'array' });
    expect(s3.shape[0]).toBe(24);
    expect((s3.attrs.ids as string[]).length).toBe(24);
    expect(s3.dtype).toBe('uint8');
    const shapes = await zarr.get(await zarr.open.v3(root.resolve('s_shapes'), { kind: 'array' }));
    const [h, w] = Array.from(shapes.data as Int32Array).slice(0, 2);
    expect(h).toBeGreaterThanOrEqual(64);
    expect(w).toBeLessThanOrEqual(80);
    for (const stage of ['saliency-s1', 'erase-s2', 'erase-s3']) {
      const q = manifest(stage).metrics.quality;
      expect(q.images).toBe(24);
      expect(q.maxF).toBeGreaterThan(0.3);
    }
    // erasing can only add: S3 >= S2 >= S1 pixelwise, so object recall cannot drop
    expect(manifest('erase-s3').metrics.quality.objectRecall).toBeGreaterThanOrEqual(manifest('saliency-s1').metrics.quality.objectRecall);
  });

  it("changing erase-s3's threshold re-runs only erase-s3 (S1, S2 and the dataset stay cached)", async () => {
    const r = await cli(['run', '--until', 'erase-s3', '--json', '--set', 'erase-s3.threshold=0.85']);
    expect(r.code, r.stderr).toBe(0);
    expect(statuses(r.stdout)).toEqual({ dataset: 'cached', 'saliency-s1': 'cached', 'erase-s2': 'cached', 'erase-s3': 'run' });
  });
});
