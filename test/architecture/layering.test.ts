// The house rules of DESIGN section 1 (docs/design.md), checked on the real import graph, and on a
// made-up one to show that each rule can fail.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph, importsOf, layeringViolations, stageNames, staticPackages, type Edge } from './import-graph.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const STAGES = stageNames(ROOT);

describe('layering', () => {
  it('the real import graph breaks no rule', () => {
    const edges = importGraph(ROOT);
    expect(edges.length).toBeGreaterThan(300);
    expect(layeringViolations(edges, STAGES)).toEqual([]);
  });

  it('every stage names its own work module, lib/work/<stage>.ts, by new URL, and imports nothing of lib/work', () => {
    expect(STAGES).toEqual(expect.arrayContaining(['dataset', 'cues', 'eval', 'report', 'train', 'erase-s2']));
    expect(STAGES).not.toContain('shared/params');
    const edges = importGraph(ROOT);
    for (const stage of STAGES) {
      const work = edges.filter((e) => e.from === `stages/${stage}.ts` && e.to.startsWith('lib/work/'));
      expect(work, `stages/${stage}.ts`).toEqual([{ from: `stages/${stage}.ts`, to: `lib/work/${stage}.ts`, kind: 'url' }]);
      // and its work reads the declaration for the params type only
      const back = edges.filter((e) => e.from === `lib/work/${stage}.ts` && e.to.startsWith('stages/'));
      expect(
        back.every((e) => e.kind === 'type' && e.to === `stages/${stage}.ts`),
        `lib/work/${stage}.ts`,
      ).toBe(true);
    }
  });

  it('a declaration loads zod (and node builtins) only, never tfjs or a detector: the work loads when the stage runs', () => {
    for (const file of [...STAGES.map((s) => `stages/${s}.ts`), 'stages/shared/params.ts']) {
      const packages = [...staticPackages(ROOT, file)].filter((p) => !p.startsWith('node:'));
      expect(packages, file).toEqual(['zod']);
    }
    // the check sees a static import of a heavy package through a relative one
    expect([...staticPackages(ROOT, 'lib/work/eval-direct.ts')].some((p) => p.startsWith('@tensorflow/'))).toBe(true);
  });

  it('tells an import from a type-only import, a dynamic import() and a new URL reference', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from './b.ts';",
      "export type { C } from './c.ts';",
      "const d = () => import('./d.ts');",
      "const e = new URL('../lib/work/e.ts', import.meta.url);",
      "import './f.ts';",
    ].join('\n');
    expect(importsOf('stages/x.ts', text).map((e) => `${e.to} ${e.kind}`)).toEqual([
      'stages/a.ts static',
      'stages/b.ts type',
      'stages/c.ts type',
      'stages/d.ts dynamic',
      'lib/work/e.ts url',
      'stages/f.ts static',
    ]);
  });

  it('catches each kind of violation in a made-up graph', () => {
    const stages = ['cues', 'eval', 'adapt'];
    const made: Edge[] = [
      ...importsOf('lib/model/cues.ts', "import x from '../../stages/params.ts';"),
      ...importsOf('lib/saliency/passes.ts', "import type { StageContext } from '../contract/stage.ts';"),
      ...importsOf('lib/model/thing.ts', "const m = () => import('../exec/lock.ts');"),
      ...importsOf('lib/data/build.ts', "import { work } from '../work/dataset.ts';"),
      ...importsOf('lib/crf/x.ts', "import { main } from '../cli/main.ts';"),
      ...importsOf('lib/dag/resolve.ts', "import { x } from '../exec/plan.ts';"),
      // a declaration imports only the contract, layouts, shared pieces and light vocabulary
      ...importsOf('stages/adapt.ts', "import { x } from '../lib/exec/plan.ts';"),
      ...importsOf('stages/adapt.ts', "import { params } from './eval.ts';"),
      // nothing imports a declaration but its own work, type-only
      ...importsOf('lib/exec/thing.ts', "import cues from '../../stages/cues.ts';"),
      ...importsOf('lib/work/eval.ts', "import type { CueParams } from '../../stages/cues.ts';"),
      ...importsOf('lib/work/training.ts', "import type { AdaptParams } from '../../stages/adapt.ts';"),
      ...importsOf('lib/work/adapt.ts', "import { params } from '../../stages/adapt.ts';"),
      // a work module never reaches another stage's work; a declaration only names its own
      ...importsOf('lib/work/adapt.ts', "import { work } from './cues.ts';"),
      ...importsOf('lib/work/net.ts', "const w = () => import('./eval.ts');"),
      ...importsOf('stages/adapt.ts', "const w = new URL('../lib/work/eval.ts', import.meta.url);"),
      // the two-file circle: a type one way, a dynamic import the other
      ...importsOf('stages/cues.ts', "const w = () => import('../lib/work/cues.ts');"),
      ...importsOf('lib/work/cues.ts', "import type { CueParams } from '../../stages/cues.ts';"),
      // allowed: the contract, a layout, a shared piece, light vocabulary, the own work by URL,
      // the own declaration type-only, a shared work piece, a domain library
      ...importsOf('stages/eval.ts', "import { defineStage } from '../lib/contract/stage.ts';\nimport { Dataset } from '../lib/layouts/dataset.ts';"),
      ...importsOf('stages/eval.ts', "import { Scales } from './shared/params.ts';\nimport { CUE_MEANS } from '../lib/model/cues.ts';"),
      ...importsOf('stages/eval.ts', "import type { Json } from '../lib/store/canonical-json.ts';"),
      ...importsOf('stages/eval.ts', "const work = new URL('../lib/work/eval.ts', import.meta.url);"),
      ...importsOf('lib/work/eval.ts', "import type { EvalParams } from '../../stages/eval.ts';"),
      ...importsOf('lib/work/eval.ts', "import { netSetup } from './net.ts';\nimport { predict } from '../model/inference.ts';"),
    ];
    const v = layeringViolations(made, stages);
    expect(v).toEqual([
      'lib/model/cues.ts -> stages/params.ts: lib/ imports stages/',
      'lib/saliency/passes.ts -> lib/contract/stage.ts: the domain folder saliency imports contract',
      'lib/model/thing.ts -> lib/exec/lock.ts: the domain folder model imports exec',
      'lib/data/build.ts -> lib/work/dataset.ts: the domain folder data imports work',
      'lib/crf/x.ts -> lib/cli/main.ts: the domain folder crf imports cli',
      'lib/dag/resolve.ts -> lib/exec/plan.ts: dag imports exec',
      'stages/adapt.ts -> lib/exec/plan.ts: the declaration adapt imports lib/exec/plan.ts, which is not the contract, a layout or a shared param piece',
      'stages/adapt.ts -> stages/eval.ts: the declaration adapt imports the declaration eval',
      'lib/exec/thing.ts -> stages/cues.ts: lib/ imports the declaration cues',
      'lib/work/eval.ts -> stages/cues.ts: the work of eval imports the declaration cues',
      'lib/work/training.ts -> stages/adapt.ts: a shared work piece imports the declaration adapt',
      'lib/work/adapt.ts -> stages/adapt.ts: the work of adapt imports the declaration adapt at run time (import type only)',
      'lib/work/adapt.ts -> lib/work/cues.ts: the work of adapt reaches the work of cues',
      'lib/work/net.ts -> lib/work/eval.ts: a shared work piece reaches the work of eval',
      'stages/adapt.ts -> lib/work/eval.ts: the declaration adapt reaches the work of eval',
      'stages/cues.ts -> lib/work/cues.ts: the declaration cues imports its work (name it by new URL)',
      'stages/cues.ts -> lib/work/cues.ts: the declaration and the work of cues import each other',
    ]);
  });
});
