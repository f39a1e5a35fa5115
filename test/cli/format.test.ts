// The command line's output formats on made-up pipelines and outcomes.
import { DirectedGraph } from 'graphology';
import { describe, expect, it } from 'vitest';
import type { ResolvedStage } from '../../lib/dag/load.ts';
import { dagText } from '../../lib/cli/format/dag-text.ts';
import { headline } from '../../lib/cli/format/headline.ts';
import { mermaidDag } from '../../lib/cli/format/mermaid.ts';
import { Store } from '../../lib/store/store.ts';

const stage = (name: string, inputs: Record<string, string>, implemented = true): ResolvedStage => ({
  name,
  description: '',
  version: 1,
  implemented,
  module: `/x/${name}.ts`,
  inputs,
  params: {},
  isolate: false,
  readsLineage: false,
  tensors: false,
  onnx: false,
  perItem: false,
  guards: [],
});

function pipeline() {
  const stages = new Map([
    ['dataset', stage('dataset', {})],
    ['eval-oracle', stage('eval-oracle', { dataset: 'dataset', train: 'dataset' }, false)],
    ['lonely', stage('lonely', {})],
  ]);
  const graph = new DirectedGraph();
  for (const n of stages.keys()) graph.addNode(n);
  graph.addEdge('dataset', 'eval-oracle');
  return { order: [...stages.keys()], stages, graph, idle: [{ name: 'saliency-train', description: '', readers: [{ stage: 'eval-oracle', slot: 'model' }] }] };
}

describe('dag formats', () => {
  it('mermaid: an edge per slot, ids without dashes, lone stages as nodes, idle stages dotted', () => {
    expect(mermaidDag(pipeline()).split('\n')).toEqual([
      'graph LR',
      '  dataset[dataset] -->|dataset| eval_oracle[eval-oracle]',
      '  dataset[dataset] -->|train| eval_oracle[eval-oracle]',
      '  lonely[lonely]',
      '  saliency_train[saliency-train] -.->|model| eval_oracle[eval-oracle]',
    ]);
  });

  it('text: inputs as slot=stage where they differ, declared-only and idle stages said', () => {
    expect(dagText(pipeline())).toEqual([
      'dataset',
      'eval-oracle <- dataset, train=dataset  (not implemented yet)',
      'lonely',
      'saliency-train  (on demand, not in this run: eval-oracle.model does not read it with these params)',
    ]);
  });
});

describe('headline', () => {
  const store = new Store('/cache');
  const o = (stage: string, meanIoU?: number) => ({ stage, key: `${stage}-key`, manifest: { metrics: meanIoU === undefined ? {} : { meanIoU } } });

  it('gives eval as a share of the oracle, the direct baseline, and the run page before the artifact', () => {
    const lines = headline([o('eval', 0.5), o('eval-oracle', 0.625), o('eval-direct', 0.25), o('report')], store, '/cache/runs/x/report.html');
    expect(lines[0]).toMatch(/^val mIoU 50\.0 ?%; the same network on ground-truth cues \(oracle\): 62\.5 ?%, so 80\.0 ?% of full supervision$/);
    expect(lines[1]).toMatch(/^without joint training \(Algorithm 1 on val, Table 4\): 25\.0 ?%$/);
    expect(lines[2]).toBe('report: /cache/runs/x/report.html');
    expect(lines[3]).toContain(store.artifactDir('report', 'report-key'));
  });

  it('says nothing of what did not run', () => {
    expect(headline([o('train')], store, null)).toEqual([]);
    expect(headline([o('eval', 0.5)], store, null)).toHaveLength(1);
  });
});
