// The dataset sources' registry: dataset.source is checked against it, each built-in source's
// options sit under its name with the defaults they always had, and a plugin's source is selectable
// with its options in dataset.options, checked by its own schema.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sourceNames } from '../../lib/data/sources/registry.ts';
import { pluginFiles, PluginFileError } from '../../lib/plugins/files.ts';
import { loadPlugins, usePlugins } from '../../lib/plugins/load.ts';
import { params } from '../../stages/dataset.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'test/.tmp', `sources-${process.pid}`);
afterAll(() => {
  usePlugins([]);
  rmSync(DIR, { recursive: true, force: true });
});

describe('dataset sources', () => {
  it('the defaults are what the dataset stage always resolved', () => {
    expect(sourceNames()).toEqual(['toy', 'voc', 'folder', 'coco']);
    expect(params.parse({})).toEqual({ source: 'toy', toy: {}, voc: {}, meanSample: 1000, splits: ['train', 'val', 'test'] });
    const voc: Record<string, unknown> = params.parse({ source: 'voc', voc: { sbdGroundTruth: false } });
    expect(voc.voc).toEqual({ sbdGroundTruth: false });
  });

  it('an unknown source, a typo in a source option, or options for a built-in are refused, naming the key', () => {
    const bad = params.safeParse({ source: 'cityscapes' });
    expect(bad.error?.issues[0].path).toEqual(['source']);
    expect(bad.error?.issues[0].message).toBe("unknown dataset source 'cityscapes' (dataset sources: toy, voc, folder, coco)");
    expect(params.safeParse({ toy: { sed: 1 } }).error?.issues[0].path).toEqual(['toy']);
    expect(params.safeParse({ options: { x: 1 } }).error?.issues[0].path).toEqual(['options']);
  });

  it('a plugin adds a source; its options are checked by its schema and its code joins the params', async () => {
    mkdirSync(DIR, { recursive: true });
    const file = join(DIR, 'shelf-source.ts');
    writeFileSync(
      file,
      `import { z } from 'zod';
import { defineSource } from '../../../lib/data/sources/source-plugin.ts';
export default { sources: [defineSource({ name: 'shelf', summary: 'a shelf of images', options: z.strictObject({ dir: z.string() }),
  async build(o) { return { root: o.dir, storedRoot: o.dir }; } })] };
`,
    );
    usePlugins(pluginFiles(['shelf-source.ts'], DIR, (i) => `plugins[${i}]`));
    await loadPlugins();
    expect(sourceNames()).toEqual(['toy', 'voc', 'folder', 'coco', 'shelf']);
    const ok = params.parse({ source: 'shelf', options: { dir: '/data' } });
    expect(ok.options).toEqual({ dir: '/data' });
    expect(ok.sourceCode).toMatch(/^[0-9a-f]{64}$/);
    expect(params.safeParse({ source: 'shelf', options: { dri: '/data' } }).error?.issues.map((i) => i.path[0])).toEqual(['options', 'options']);
    expect(params.parse({}).sourceCode).toBeUndefined();
    expect(() => pluginFiles(['../x.ts'], DIR, () => 'here')).toThrow(PluginFileError);
    expect(() => pluginFiles([file], DIR, () => 'here')).toThrow(/must be relative/);
  });
});
