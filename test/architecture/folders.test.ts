// Every folder of lib/ has a rule for which folders it may import (folder-rules.ts), checked on
// the real import graph, and on a made-up one to show that each rule can fail.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FOLDER_RULES,
  foldersWithoutRule,
  folderViolations,
  KNOWN_CYCLES,
  libFolders,
  PENDING_EXCEPTIONS,
  ruleCycles,
  unknownFoldersInRules,
  type FolderRule,
} from './folder-rules.ts';
import { importGraph, importsOf, type Edge } from './import-graph.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('folder rules', () => {
  it('every folder under lib/ has a rule, and every rule names folders that exist', () => {
    const folders = libFolders(ROOT);
    expect(folders).toEqual(expect.arrayContaining(['exec', 'distributed', 'native', 'watch', 'doctor', 'store', 'tensor']));
    expect(foldersWithoutRule(folders)).toEqual([]);
    expect(unknownFoldersInRules(folders)).toEqual([]);
    // a folder that appears without a rule, and a rule for a folder that went away, are caught
    expect(foldersWithoutRule([...folders, 'cloud'])).toEqual(['cloud']);
    expect(unknownFoldersInRules(folders.filter((f) => f !== 'watch')).sort()).toEqual(['cli: watch', 'exec: watch', 'watch: watch']);
  });

  it('the real import graph keeps to the rules', () => {
    const edges = importGraph(ROOT);
    expect(edges.length).toBeGreaterThan(300);
    expect(folderViolations(edges)).toEqual([]);
  });

  it('each pending exception is still an import of the real graph (delete it here once it is gone)', () => {
    const edges = importGraph(ROOT);
    for (const { edge } of PENDING_EXCEPTIONS) expect(edges, `${edge.from} -> ${edge.to}`).toContainEqual(edge);
  });

  it('the rules are a layer order but for the known cycles', () => {
    expect(ruleCycles()).toEqual(KNOWN_CYCLES.map((c) => [...c].sort()));
    // a rule that lets a lower folder reach back up is a cycle
    const rules: Record<string, FolderRule> = { ...FOLDER_RULES, store: { may: ['dag'], why: 'made up' } };
    expect(ruleCycles(rules)).toContainEqual(['contract', 'dag', 'data', 'model', 'plugins', 'saliency', 'store']);
    // the registries' plugin loader is installed from above: a registry importing it would be one
    const upward: Record<string, FolderRule> = { ...FOLDER_RULES, registry: { may: ['plugins'], why: 'made up' } };
    expect(ruleCycles(upward)).toContainEqual(['data', 'model', 'plugins', 'registry', 'saliency']);
  });

  it("catches an import outside each folder's rule in a made-up graph", () => {
    // one import per folder that its rule does not name, in rule order, and one from lib/ itself
    const made: Edge[] = [
      ...importsOf('lib/store/a.ts', "import { x } from '../tensor/b.ts';"),
      ...importsOf('lib/tensor/a.ts', "import { x } from '../data/b.ts';"),
      ...importsOf('lib/metrics/a.ts', "import { x } from '../model/b.ts';"),
      ...importsOf('lib/crf/a.ts', "import { x } from '../tensor/b.ts';"),
      ...importsOf('lib/native/a.ts', "import { x } from '../tensor/b.ts';"),
      ...importsOf('lib/gpu/a.ts', "import { x } from '../exec/b.ts';"),
      ...importsOf('lib/registry/a.ts', "import type { X } from '../saliency/b.ts';"),
      ...importsOf('lib/data/a.ts', "import { x } from '../contract/b.ts';"),
      ...importsOf('lib/model/a.ts', "import { x } from '../saliency/b.ts';"),
      ...importsOf('lib/saliency/a.ts', "import { x } from '../crf/b.ts';"),
      ...importsOf('lib/predict/a.ts', "import { x } from '../saliency/b.ts';"),
      ...importsOf('lib/contract/a.ts', "import { x } from '../dag/b.ts';"),
      ...importsOf('lib/plugins/a.ts', "import { x } from '../exec/b.ts';"),
      ...importsOf('lib/layouts/a.ts', "import { x } from '../work/b.ts';"),
      ...importsOf('lib/dag/a.ts', "import { x } from '../exec/b.ts';"),
      ...importsOf('lib/exec/a.ts', "import { x } from '../distributed/lease.ts';"),
      ...importsOf('lib/watch/a.ts', "import { x } from '../cli/b.ts';"),
      ...importsOf('lib/distributed/a.ts', "import { x } from '../cli/args.ts';"),
      ...importsOf('lib/report/a.ts', "import { x } from '../exec/b.ts';"),
      ...importsOf('lib/doctor/a.ts', "import { x } from '../exec/b.ts';"),
      ...importsOf('lib/work/a.ts', "import { x } from '../cli/b.ts';"),
      ...importsOf('lib/cli/a.ts', "const s = () => import('../work/b.ts');"),
      ...importsOf('lib/cloud/a.ts', "import { x } from '../store/b.ts';"),
      ...importsOf('lib/errors.ts', "import { x } from './store/b.ts';"),
      // allowed: within a folder, to lib/ itself, what a rule names
      ...importsOf('lib/store/a.ts', "import { x } from './b.ts';"),
      ...importsOf('lib/store/a.ts', "import { x } from '../errors.ts';"),
      ...importsOf('lib/exec/a.ts', "import { x } from '../watch/b.ts';"),
      ...importsOf('lib/saliency/registry.ts', "import { Registry } from '../registry/registry.ts';"),
      ...importsOf('lib/exec/stage-work.ts', "import '../plugins/load.ts';"),
    ];
    const v = folderViolations(made);
    expect(v).toHaveLength(24);
    // every folder with a rule is caught at least once
    for (const folder of Object.keys(FOLDER_RULES))
      expect(
        v.some((line) => line.startsWith(`lib/${folder}/`)),
        folder,
      ).toBe(true);
    expect(v).toContain(
      'lib/exec/a.ts -> lib/distributed/lease.ts: exec may not import distributed (it may import dag, contract, store, tensor, watch, plugins, gpu)',
    );
    expect(v).toContain('lib/store/a.ts -> lib/tensor/b.ts: store may not import tensor (it may import no folder)');
    expect(v).toContain('lib/registry/a.ts -> lib/saliency/b.ts: registry may not import saliency (it may import no folder)');
    expect(v).toContain('lib/plugins/a.ts -> lib/exec/b.ts: plugins may not import exec (it may import registry, contract, data, saliency)');
    expect(v).toContain('lib/cloud/a.ts -> lib/store/b.ts: lib/cloud has no folder rule');
    expect(v).toContain('lib/errors.ts -> lib/store/b.ts: a module of lib/ itself imports the folder store (they are the floor)');
    expect(v).toContain('lib/distributed/a.ts -> lib/cli/args.ts: distributed may not import cli (it may import dag, contract, store, tensor, exec, gpu)');
  });
});
