// The trained detector plugs into saliency-s1 with one --set: saliency-train (on demand) runs for it,
// every pass carries the weights it ran with, and the maps are keyed on the weights' content.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const cache = mkdtempSync(join(tmpdir(), 'dcsp-dhsnet-'));
const DHSNET = ['--set', 'saliency-s1.detector=dhsnet'];

async function run(args: string[]): Promise<Record<string, string>> {
  const r = await execa(
    process.execPath,
    [join(ROOT, 'bin/pipeline.mjs'), 'run', '--until', 'erase-s3', '--json', ...args, '--profile', 'micro', '--cache', cache, '--workers', '1'],
    { cwd: ROOT, reject: false },
  );
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return Object.fromEntries((JSON.parse(String(r.stdout)) as { outcomes: { stage: string; status: string }[] }).outcomes.map((o) => [o.stage, o.status]));
}

function artifact(stage: string, key: string): string {
  const dir = join(cache, stage);
  return join(dir, readdirSync(dir).find((e) => e.startsWith(key.slice(0, 12)) && /^[0-9a-f]{64}$/.test(e))!);
}

describe('saliency-s1 with detector dhsnet (micro profile)', () => {
  it('trains DHSNet on demand and runs the three passes with it; other detectors never train it', async () => {
    expect(await run([])).toEqual({ dataset: 'run', 'saliency-s1': 'run', 'erase-s2': 'run', 'erase-s3': 'run' });
    expect(await run(DHSNET)).toEqual({ dataset: 'cached', 'saliency-train': 'run', 'saliency-s1': 'run', 'erase-s2': 'run', 'erase-s3': 'run' });
    const refs = join(cache, 'refs');
    const variant = readdirSync(refs).find((v) => v.startsWith('micro@'))!;
    for (const stage of ['saliency-s1', 'erase-s2', 'erase-s3']) {
      const dir = artifact(stage, readFileSync(join(refs, variant, stage), 'utf8').trim());
      const spec = JSON.parse(readFileSync(join(dir, 'detector.json'), 'utf8')) as { kind: string; weights: string; weightsHash: string };
      expect(spec).toEqual({ kind: 'dhsnet', weights: 'detector', weightsHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(readdirSync(join(dir, 'detector')).sort()).toEqual(['model.json', 'weights.bin']);
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { metrics: { quality: { images: number } } };
      expect(m.metrics.quality.images).toBe(24);
    }
  }, 240_000);

  it('new weights re-run the passes; the boundary passes stay cached when only saliency-train changes', async () => {
    expect(await run([...DHSNET, '--set', 'saliency-train.seed=5'])).toEqual({
      dataset: 'cached',
      'saliency-train': 'run',
      'saliency-s1': 'run',
      'erase-s2': 'run',
      'erase-s3': 'run',
    });
    expect(await run(['--set', 'saliency-train.seed=6'])).toEqual({ dataset: 'cached', 'saliency-s1': 'cached', 'erase-s2': 'cached', 'erase-s3': 'cached' });
  }, 240_000);
});
