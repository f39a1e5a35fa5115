import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { describe, expect, it } from 'vitest';
import { Artifact } from '../../lib/store/artifact.ts';
import { ArtifactWriter } from '../../lib/store/artifact-writer.ts';
import { canonicalJson } from '../../lib/store/canonical-json.ts';
import { commitArtifact, contentHashOf } from '../../lib/store/commit.ts';
import type { FileEntry } from '../../lib/store/manifest.ts';
import { checkContent } from '../../lib/store/verify.ts';

async function build(items: { id: string; data: Uint8Array | Float32Array; shape: number[] }[]): Promise<Artifact> {
  const base = mkdtempSync(join(tmpdir(), 'dcsp-art-'));
  const w = new ArtifactWriter(join(base, 'out'));
  const dtype = items[0].data instanceof Uint8Array ? 'uint8' : 'float32';
  await w.itemArray(
    'maps',
    items.map((i) => i.id),
    { shapes: items.map((i) => i.shape), dtype },
    (k) => items[k],
  );
  await w.array('labels', new Uint8Array([1, 0, 1, 1, 0, 0]), [3, 2]);
  await w.json('summary.json', { n: items.length });
  await commitArtifact(join(base, 'out'), join(base, 'final'), {
    stage: 't',
    key: 'k'.repeat(64),
    version: 1,
    codeHash: 'c',
    params: {},
    inputs: {},
    created: new Date().toISOString(),
    seconds: 0,
    metrics: {},
  });
  return Artifact.open(join(base, 'final'));
}

describe('artifact store', () => {
  it('per-item arrays are padded [N, Hmax, Wmax] Zarr v3, readable by zarrita, cropped back exactly', async () => {
    const a = { id: 'a', data: Uint8Array.from({ length: 6 }, (_, i) => i + 1), shape: [2, 3] };
    const b = { id: 'b', data: Uint8Array.from({ length: 12 }, (_, i) => 100 + i), shape: [4, 3] };
    const c = { id: 'c', data: Uint8Array.from({ length: 5 }, (_, i) => 200 + i), shape: [1, 5] };
    const art = await build([a, b, c]);
    const root = zarr.root(new FileSystemStore(join(art.dir, 'data.zarr')));
    const arr = await zarr.open.v3(root.resolve('maps'), { kind: 'array' });
    expect(arr.shape).toEqual([3, 4, 5]);
    expect(arr.chunks).toEqual([1, 4, 5]);
    expect(arr.attrs.ids).toEqual(['a', 'b', 'c']);
    const first = await zarr.get(arr, [0, null, null]);
    expect(Array.from(first.data as Uint8Array)).toEqual([1, 2, 3, 0, 0, 4, 5, 6, 0, 0, ...new Array(10).fill(0)]);
    const shapes = await zarr.get(await zarr.open.v3(root.resolve('maps_shapes'), { kind: 'array' }));
    expect(Array.from(shapes.data as Int32Array)).toEqual([2, 3, 4, 3, 1, 5]);
    const reader = await art.items('maps');
    for (const it of [a, b, c]) {
      const got = await reader.read(it.id);
      expect(got.shape).toEqual(it.shape);
      expect(Array.from(got.data)).toEqual(Array.from(it.data));
    }
    const labels = await art.array('labels');
    expect(labels.shape).toEqual([3, 2]);
    expect(await art.json('summary.json')).toEqual({ n: 3 });
    expect((await checkContent(art.dir)).problems).toEqual([]);
  });

  it('a chunk that does not decode is reported with the array, the item and the artifact it is in', async () => {
    const x = { id: 'x', data: Uint8Array.from({ length: 64 }, (_, i) => i), shape: [8, 8] };
    const art = await build([x, { ...x, id: 'y' }]);
    const file = join(art.dir, 'data.zarr', 'maps', 'c.1.0.0');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, Buffer.alloc(readFileSync(file).length, 0x41)); // same size, not gzip
    const err = (await (await art.items('maps')).read('y').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(join(art.dir, 'data.zarr', 'maps'));
    expect(err!.message).toMatch(/maps \[1, :, :\]: /);
    expect((await checkContent(art.dir)).problems.join()).toMatch(/content changed/);
  });

  it('3-d float items round trip, and the content hash covers paths and bytes only', async () => {
    const x = { id: 'x', data: Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 7), shape: [2, 3, 4] };
    const y = { id: 'y', data: Float32Array.from({ length: 1 * 2 * 2 }, (_, i) => -i), shape: [1, 2, 2] };
    const art1 = await build([x, y]);
    const art2 = await build([x, y]);
    expect((await (await art1.items('maps')).read('x')).data).toEqual(x.data);
    expect((await (await art1.items('maps')).read('y')).data).toEqual(y.data);
    expect(art1.manifest.contentHash).toBe(art2.manifest.contentHash);
    const files = JSON.parse(readFileSync(join(art1.dir, 'files.json'), 'utf8')) as FileEntry[];
    expect(contentHashOf(files)).toBe(art1.manifest.contentHash);
    expect(files.map((f) => f[0])).not.toContain('manifest.json');
    const changed: FileEntry[] = files.map(([p, s, h], i) => [p, s, i === 0 ? h.replace(/^./, (ch) => (ch === '0' ? '1' : '0')) : h]);
    expect(contentHashOf(changed)).not.toBe(art1.manifest.contentHash);
  });

  it('canonical JSON sorts keys, drops undefined, rejects NaN', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(-0)).toBe('0');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/\$\.a is NaN/);
  });
});
