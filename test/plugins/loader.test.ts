// The registries (lib/registry) hold the plugins' entries but cannot import what loading one takes:
// lib/plugins/load.ts installs itself as their loader when imported. Checked here: a fresh worker
// thread finds a plugin's detector once lib/exec/stage-work.ts (where every stage's work is loaded)
// is imported, and says what is missing when nothing installed the loader; every entry point that
// can meet a plugin's name reaches the loader by static imports; and a plugin's entry without the
// shape of its kind is bad input naming the file, the list and the field.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { sourceNames } from '../../lib/data/sources/registry.ts';
import { InputError } from '../../lib/errors.ts';
import { loadPlugins, PLUGINS_ENV, usePlugins } from '../../lib/plugins/load.ts';
import { detectorNames } from '../../lib/saliency/registry.ts';
import { importGraph, type Edge } from '../architecture/import-graph.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'test/.tmp', `plugin-loader-${process.pid}`);
const PLUGIN = join(ROOT, 'test/fixtures/detector-plugin/colour-contrast.ts');
afterAll(() => {
  usePlugins([]);
  rmSync(DIR, { recursive: true, force: true });
});

/** In a new worker thread given the fixture plugin: the detector's name, or the error looking it up. */
function lookUpInThread(withLoader: boolean): Promise<{ name?: string; error?: string }> {
  mkdirSync(DIR, { recursive: true });
  const entry = join(DIR, 'thread.mjs');
  writeFileSync(
    entry,
    `import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';
register();
if (workerData.withLoader) await import(workerData.stageWork);
const { detectorNamed } = await import(workerData.registry);
try {
  parentPort.postMessage({ name: (await detectorNamed('colour-contrast')).name });
} catch (err) {
  parentPort.postMessage({ error: err.message });
}
`,
  );
  const url = (rel: string): string => pathToFileURL(join(ROOT, rel)).href;
  const worker = new Worker(entry, {
    workerData: { withLoader, stageWork: url('lib/exec/stage-work.ts'), registry: url('lib/saliency/registry.ts') },
    env: { ...process.env, [PLUGINS_ENV]: JSON.stringify([PLUGIN]) },
  });
  return new Promise((done, fail) => {
    worker.once('message', (m: { name?: string; error?: string }) => {
      void worker.terminate();
      done(m);
    });
    worker.once('error', fail);
  });
}

/** Whether `to` is reached from `from` by static imports only (what runs when `from` is imported). */
function reachesStatically(edges: readonly Edge[], from: string, to: string): boolean {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length) {
    const f = todo.pop()!;
    if (f === to) return true;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const e of edges) if (e.from === f && e.kind === 'static') todo.push(e.to);
  }
  return false;
}

describe('the plugin loader', () => {
  it("a fresh worker thread that loaded a stage's work finds a plugin's detector; without the loader, one error says so", async () => {
    expect(await lookUpInThread(true)).toEqual({ name: 'colour-contrast' });
    const without = await lookUpInThread(false);
    expect(without.error).toMatch(/given plugins \(DCSP_PLUGINS\) but never imported their loader, lib\/plugins\/load\.ts/);
  }, 60_000);

  it('every entry point that can meet a plugin name imports the loader', () => {
    const edges = importGraph(ROOT);
    // the CLI's and `pipeline worker`'s reading of a pipeline file, an isolated child, a worker thread, a distributed worker
    for (const entry of [
      'lib/dag/pipeline-file.ts',
      'lib/dag/load.ts',
      'lib/exec/child.ts',
      'lib/exec/item-task.ts',
      'lib/distributed/worker.ts',
      'lib/distributed/stage-registry.ts',
    ]) {
      expect(reachesStatically(edges, entry, 'lib/plugins/load.ts'), entry).toBe(true);
    }
    // the registries themselves do not: the check is not vacuous
    expect(reachesStatically(edges, 'lib/saliency/registry.ts', 'lib/plugins/load.ts')).toBe(false);
  });

  it("a plugin's entry without its kind's shape is bad input naming the file, the list and the field", async () => {
    mkdirSync(DIR, { recursive: true });
    const file = join(DIR, 'bad-entries.ts');
    writeFileSync(
      file,
      `import { z } from 'zod';
export default {
  sources: [{ name: 'folder', summary: 'a folder', options: z.strictObject({}), build: 'not a function' }],
  detectors: [{ name: 'mine', summary: 'mine', spec: {}, create: async () => null }],
};
`,
    );
    usePlugins([file]);
    await loadPlugins();
    expect(() => sourceNames()).toThrow(InputError);
    expect(() => sourceNames()).toThrow(`plugin ${file}: sources[0] 'folder' is not a dataset source: build must be a function`);
    expect(() => detectorNames()).toThrow(`plugin ${file}: detectors[0] 'mine' is not a detector: spec must be a zod schema`);
    usePlugins([]);
    expect(sourceNames()).toEqual(['toy', 'voc', 'folder', 'coco']);
  });
});
