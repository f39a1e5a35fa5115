// saliency-s1's isnet settings are bad input (exit 2, one line naming the key) before anything runs.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';

const ROOT = resolve(import.meta.dirname, '../..');

async function status(set: string[]): Promise<{ code: number; err: string; cache: string }> {
  const cache = mkdtempSync(join(tmpdir(), 'dcsp-isnet-params-'));
  let err = '';
  const args = ['status', '--pipeline', join(ROOT, 'pipeline.yaml'), '--cache', cache, '--profile', 'micro', ...set.flatMap((s) => ['--set', s])];
  const code = await main(args, { out: () => {}, err: (t) => (err += `${t}\n`) });
  return { code, err, cache };
}

describe('saliency-s1 with detector isnet: params', () => {
  it.each([
    ['saliency-s1.options.variant=large', /saliency-s1\.options\.variant: Invalid option: expected one of "medium"\|"small"/],
    ['saliency-s1.options.segments=300', /saliency-s1\.options: Unrecognized key: "segments"/],
    ['saliency-s1.model=u2netp', /saliency-s1\.model: detector isnet does not read model; choose the network with options\.variant/],
  ])('%s is refused with exit 2', async (bad, message) => {
    const r = await status(['saliency-s1.detector=isnet', bad]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(readdirSync(r.cache)).toEqual([]);
    rmSync(r.cache, { recursive: true, force: true });
  });

  it('accepts the variant and the thread count', async () => {
    const r = await status(['saliency-s1.detector=isnet', 'saliency-s1.options.variant=small', 'saliency-s1.options.threads=2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    rmSync(r.cache, { recursive: true, force: true });
  });
});
