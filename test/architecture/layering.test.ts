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

  it('every stage has its own lib/steps/<stage>.ts, and calls no other step module', () => {
    expect(STAGES).toEqual(expect.arrayContaining(['dataset', 'cues', 'eval', 'report', 'train', 'erase-s2']));
    const edges = importGraph(ROOT);
    for (const stage of STAGES) {
      const steps = edges.filter((e) => e.from === `stages/${stage}.ts` && e.to.startsWith('lib/steps/')).map((e) => e.to);
      expect(steps, `stages/${stage}.ts`).toEqual([`lib/steps/${stage}.ts`]);
    }
  });

  it('a stage module loads zod (and node builtins) only, never tfjs or a detector: the bodies load when the stage runs', () => {
    for (const stage of STAGES) {
      const packages = [...staticPackages(ROOT, `stages/${stage}.ts`)].filter((p) => !p.startsWith('node:'));
      expect(packages, `stages/${stage}.ts`).toEqual(['zod']);
    }
    // the check sees a static import of a heavy package through a relative one
    expect([...staticPackages(ROOT, 'lib/steps/body/eval-direct.ts')].some((p) => p.startsWith('@tensorflow/'))).toBe(true);
  });

  it('catches each kind of violation in a made-up graph', () => {
    const stages = ['cues', 'eval', 'adapt'];
    const made: Edge[] = [
      ...importsOf('lib/model/cues.ts', "import x from '../../stages/params.ts';"),
      ...importsOf('lib/saliency/passes.ts', "import type { StageContext } from '../stage/stage.ts';"),
      ...importsOf('lib/model/thing.ts', "const m = () => import('../exec/lock.ts');"),
      ...importsOf('lib/data/build.ts', "import { run } from '../steps/dataset.ts';"),
      ...importsOf('lib/crf/x.ts', "import { main } from '../cli/main.ts';"),
      ...importsOf('lib/steps/adapt.ts', "import { cueCompute } from './cues.ts';"),
      ...importsOf('stages/adapt.ts', "const s = () => import('../lib/steps/eval.ts');"),
      ...importsOf('lib/steps/adapt.ts', "const b = () => import('./body/cues.ts');"),
      ...importsOf('lib/dag/resolve.ts', "import { x } from '../exec/plan.ts';"),
      // allowed: a step's shared piece, a domain library, the stage's own body
      ...importsOf('lib/steps/adapt.ts', "import { netSetup } from './net.ts';"),
      ...importsOf('lib/steps/eval.ts', "import { predict } from '../model/inference.ts';"),
      ...importsOf('stages/eval.ts', "import { params, perItem } from '../lib/steps/eval.ts';"),
      ...importsOf('lib/steps/eval.ts', "const body = () => import('./body/eval.ts');"),
    ];
    const v = layeringViolations(made, stages);
    expect(v).toEqual([
      'lib/model/cues.ts -> stages/params.ts: lib/ imports stages/',
      'lib/saliency/passes.ts -> lib/stage/stage.ts: the domain folder saliency imports stage',
      'lib/model/thing.ts -> lib/exec/lock.ts: the domain folder model imports exec',
      'lib/data/build.ts -> lib/steps/dataset.ts: the domain folder data imports steps',
      'lib/crf/x.ts -> lib/cli/main.ts: the domain folder crf imports cli',
      'lib/steps/adapt.ts -> lib/steps/cues.ts: the step adapt imports the step cues',
      'stages/adapt.ts -> lib/steps/eval.ts: the stage adapt imports the step eval',
      'lib/steps/adapt.ts -> lib/steps/body/cues.ts: the step adapt imports the step cues',
      'lib/dag/resolve.ts -> lib/exec/plan.ts: dag imports exec',
    ]);
  });
});
