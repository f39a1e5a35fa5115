// The report's pure pieces: ticks, sampling, DAG layout, colour map, tables, run log, lineage.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineChart, niceTicks, tickLabel } from '../../lib/report/chart-svg.ts';
import { heatmap, viridisLut } from '../../lib/report/colour.ts';
import { dagSvg, layoutDag, placeNodes, transitiveReduction } from '../../lib/report/dag-svg.ts';
import { esc } from '../../lib/report/html.ts';
import { readRunLog, walkLineage } from '../../lib/report/lineage.ts';
import { pixelAccuracy } from '../../lib/report/panels.ts';
import { chooseSamples, spread } from '../../lib/report/samples.ts';
import { metricTable, sweepTable, SALIENCY_COLUMNS } from '../../lib/report/tables.ts';
import { binCurve } from '../../lib/report/curves-section.ts';

describe('chart axes', () => {
  it('niceTicks covers the range with 1/2/5 steps', () => {
    const t = niceTicks(1, 20, 5);
    expect(t.step).toBe(5);
    expect(t.ticks).toEqual([0, 5, 10, 15, 20]);
    const l = niceTicks(0.00006, 0.00096, 4);
    expect(l.step).toBeCloseTo(0.0005, 12);
    expect(l.ticks).toEqual([0, 0.0005, 0.001]);
    expect(l.ticks[0]).toBeLessThanOrEqual(0.00006);
    expect(l.ticks[l.ticks.length - 1]).toBeGreaterThanOrEqual(0.00096);
    // a flat series still gets an axis
    expect(niceTicks(3, 3).ticks.length).toBeGreaterThanOrEqual(2);
  });

  it('labels ticks with the precision of the step', () => {
    expect(tickLabel(0.5, 0.5)).toBe('0.5');
    expect(tickLabel(15, 5)).toBe('15');
    expect(tickLabel(0.0005, 0.0005)).toBe('5e-4');
  });

  it('breaks a line at missing values instead of drawing zero', () => {
    const svg = lineChart(
      [
        {
          name: 'a',
          colour: '#000',
          points: [
            [1, 1],
            [2, 2],
            [3, null],
            [4, 3],
            [5, 4],
          ],
        },
      ],
      { title: 't', xLabel: 'x' },
    );
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    const empty = lineChart([{ name: 'a', colour: '#000', points: [[1, null]] }], { title: 't', xLabel: 'x' });
    expect(empty).toContain('no data');
  });

  it('bins long curves to at most the requested number of points', () => {
    const pts = Array.from({ length: 30000 }, (_, i) => ({ iteration: i + 1, loss: i % 2, segLoss: null, clsLoss: 1, lr: 0.001 }));
    const { points, bin } = binCurve(pts, 500);
    expect(bin).toBe(60);
    expect(points).toHaveLength(500);
    expect(points[0].loss).toBeCloseTo(0.5, 9);
    expect(points[0].segLoss).toBeNull();
    expect(points[499].iteration).toBe(30000);
  });
});

describe('samples', () => {
  const labels: Record<string, number[]> = { a: [1], b: [1, 2], c: [3], d: [4, 5, 6], e: [7], f: [2, 9], g: [1] };
  const ids = Object.keys(labels);
  it('prefers images with two or more classes, keeps id order, and is deterministic', () => {
    expect(chooseSamples(ids, (id) => labels[id], 3)).toEqual(['b', 'd', 'f']);
    const five = chooseSamples(ids, (id) => labels[id], 5);
    expect(five).toHaveLength(5);
    expect(five.filter((id) => labels[id].length >= 2)).toEqual(['b', 'd', 'f']);
    expect(chooseSamples(ids, (id) => labels[id], 5)).toEqual(five);
    expect(chooseSamples(ids, (id) => labels[id], 100)).toEqual(ids);
    expect(chooseSamples(ids, (id) => labels[id], 0)).toEqual([]);
  });
  it('spreads picks over the list', () => {
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2)).toEqual([2, 7]);
  });
});

describe('DAG drawing', () => {
  // the DCSP DAG: every stage also reads the dataset
  const ids = ['dataset', 's1', 's2', 's3', 'fcan', 'att', 'cues', 'train'];
  const e = (from: string, to: string) => ({ from, to });
  const edges = [
    e('dataset', 's1'),
    e('dataset', 's2'),
    e('s1', 's2'),
    e('dataset', 's3'),
    e('s2', 's3'),
    e('dataset', 'fcan'),
    e('dataset', 'att'),
    e('fcan', 'att'),
    e('dataset', 'cues'),
    e('att', 'cues'),
    e('s1', 'cues'),
    e('s2', 'cues'),
    e('s3', 'cues'),
    e('dataset', 'train'),
    e('cues', 'train'),
    e('fcan', 'train'),
  ];
  it('draws only the transitive reduction', () => {
    const red = transitiveReduction(ids, edges)
      .map((x) => `${x.from}>${x.to}`)
      .sort();
    expect(red).toEqual(['att>cues', 'cues>train', 'dataset>fcan', 'dataset>s1', 'fcan>att', 's1>s2', 's2>s3', 's3>cues'].sort());
  });
  it('puts each stage below its inputs and keeps chains in their column', () => {
    const lay = layoutDag(ids, edges);
    expect(lay.level.get('dataset')).toBe(0);
    expect(lay.level.get('s3')).toBe(3);
    expect(lay.level.get('cues')).toBe(4);
    expect(lay.level.get('train')).toBe(5);
    const x = placeNodes(lay, 200);
    expect(x.get('s2')).toBe(x.get('s1'));
    expect(x.get('s3')).toBe(x.get('s2'));
    expect(x.get('att')).toBe(x.get('fcan'));
    expect(Math.abs(x.get('s1')! - x.get('fcan')!)).toBeGreaterThanOrEqual(200);
    expect(x.get('cues')).toBeCloseTo((x.get('s3')! + x.get('att')!) / 2, 9);
  });
  it('escapes names and marks states', () => {
    const svg = dagSvg(
      [
        { id: 'a', title: 'a<b', detail: 'k', state: 'cached' },
        { id: 'b', title: 'b', detail: 'k', state: 'run' },
      ],
      [{ from: 'a', to: 'b' }],
    );
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('class="node cached"');
    expect(svg).toContain('>computed<');
    expect(svg.match(/<path d="M[-\d.]+,[-\d.]+ C/g)).toHaveLength(1);
    expect(() => layoutDag(['x', 'y'], [e('x', 'y'), e('y', 'x')])).toThrow(/cycle/);
  });
});

describe('pictures and tables', () => {
  it('viridis runs dark purple to yellow, monotone in lightness', () => {
    const lut = viridisLut();
    expect([lut[0], lut[1], lut[2]]).toEqual([68, 1, 84]);
    expect([lut[765], lut[766], lut[767]]).toEqual([253, 231, 37]);
    const luma = (v: number): number => 0.299 * lut[v * 3] + 0.587 * lut[v * 3 + 1] + 0.114 * lut[v * 3 + 2];
    for (let v = 8; v < 256; v += 8) expect(luma(v)).toBeGreaterThan(luma(v - 8));
    const h = heatmap(Float32Array.from([0, 1, 2, -1]), 2, 2);
    expect(Array.from(h.data.subarray(0, 6))).toEqual([68, 1, 84, 253, 231, 37]);
    expect(Array.from(h.data.subarray(6, 9))).toEqual([253, 231, 37]);
    expect(Array.from(h.data.subarray(9, 12))).toEqual([68, 1, 84]);
    expect(() => heatmap(new Uint8Array(3), 2, 2)).toThrow();
  });

  it('pixel accuracy skips void', () => {
    const gt = { width: 2, height: 2, data: Uint8Array.from([0, 1, 255, 1]) };
    const pred = { width: 2, height: 2, data: Uint8Array.from([0, 0, 7, 1]) };
    expect(pixelAccuracy(pred, gt)).toBeCloseTo(2 / 3, 12);
  });

  it('metric tables bold the best row per column and add unknown metrics', () => {
    const html = metricTable(
      [
        { name: 'S1', values: { maxF: 0.5, mae: 0.2, extra: 3 } },
        { name: 'S2', values: { maxF: 0.6, mae: 0.3 } },
      ],
      SALIENCY_COLUMNS,
    );
    expect(html).toContain('<b>0.600</b>');
    expect(html).toContain('<b>0.200</b>');
    expect(html).not.toContain('<b>0.500</b>');
    expect(html).toContain('>extra<');
    expect(html).not.toContain('objects found');
  });

  it('sweep table: params then metrics, lower-is-better for errors, dashes for null', () => {
    const html = sweepTable([
      { variant: { 'cues.saliency': 's1' }, metrics: { 'eval.meanIoU': 0.41, mae: 0.3 } },
      { variant: { 'cues.saliency': 's3' }, metrics: { 'eval.meanIoU': 0.45, mae: null } },
      { variant: { 'cues.saliency': '<s>' }, metrics: { 'eval.meanIoU': 0.43, mae: 0.2 } },
    ]);
    expect(html).toContain('<b>0.45</b>');
    expect(html).toContain('<b>0.2</b>');
    expect(html).toContain('–');
    expect(html).toContain('&lt;s&gt;');
    const tie = sweepTable([
      { variant: { a: '1' }, metrics: { n: 4 } },
      { variant: { a: '2' }, metrics: { n: 4 } },
    ]);
    expect(tie).not.toContain('<b>');
    expect(esc(`a"b'<>&`)).toBe('a&quot;b&#39;&lt;&gt;&amp;');
  });
});

describe('lineage and run log', () => {
  function artifact(root: string, stage: string, key: string, contentHash: string, inputs: Record<string, [string, string, string]>): void {
    const dir = join(root, stage, key);
    mkdirSync(dir, { recursive: true });
    const manifest = {
      format: 1,
      stage,
      key,
      version: 1,
      codeHash: 'c',
      params: {},
      contentHash,
      fileCount: 0,
      totalBytes: 0,
      hasItems: false,
      created: '',
      seconds: 1,
      metrics: {},
      inputs: Object.fromEntries(Object.entries(inputs).map(([slot, [s, k, h]]) => [slot, { stage: s, key: k, contentHash: h }])),
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  }

  it('follows inputs upstream, merges keys with the same content (early cutoff), keeps missing inputs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dcsp-lineage-'));
    // keys as the cache has them (64 hex digits): the walk builds no path from anything else
    const K = Object.fromEntries(['c-new', 'c-old', 'd1', 't1', 'e1', 'gone'].map((k) => [k, createHash('sha256').update(k).digest('hex')]));
    artifact(root, 'dataset', K.d1, 'D', {});
    // cues re-ran under a new key with identical content; train still names the old key
    artifact(root, 'cues', K['c-old'], 'C', { dataset: ['dataset', K.d1, 'D'] });
    artifact(root, 'cues', K['c-new'], 'C', { dataset: ['dataset', K.d1, 'D'] });
    artifact(root, 'train', K.t1, 'T', { dataset: ['dataset', K.d1, 'D'], cues: ['cues', K['c-old'], 'C'], init: ['fcan-pretrain', K.gone, 'F'] });
    artifact(root, 'eval', K.e1, 'E', { train: ['train', K.t1, 'T'] });
    const lin = await walkLineage([join(root, 'cues', K['c-new']), join(root, 'eval', K.e1)]);
    expect(lin.cacheRoot).toBe(root);
    expect(lin.nodes.map((n) => n.id).sort()).toEqual(
      [`cues@${K['c-new']}`, `dataset@${K.d1}`, `eval@${K.e1}`, `fcan-pretrain@${K.gone}`, `train@${K.t1}`].sort(),
    );
    expect(lin.byStage('train')!.inputs.cues).toBe(`cues@${K['c-new']}`);
    expect(lin.byStage('fcan-pretrain')!.artifact).toBeNull();
    const order = lin.nodes.map((n) => n.stage);
    expect(order.indexOf('dataset')).toBeLessThan(order.indexOf('cues'));
    expect(order.indexOf('cues')).toBeLessThan(order.indexOf('train'));
    expect(order.indexOf('train')).toBeLessThan(order.indexOf('eval'));
  });

  it('reads the last decision per key and survives a torn line', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dcsp-runlog-'));
    mkdirSync(join(root, 'runs'));
    const line = (run: string, stage: string, key: string, status: string) =>
      JSON.stringify({ run, at: run, variant: 'micro', stage, key, status, seconds: 1.5 });
    writeFileSync(
      join(root, 'runs', 'runs.jsonl'),
      [line('r1', 'cues', 'k', 'run'), line('r2', 'cues', 'k', 'cached'), line('r2', 'eval', 'e', 'failed'), '{"run":"r3","sta'].join('\n'),
    );
    const log = await readRunLog(root);
    expect(log.get('cues@k')).toMatchObject({ run: 'r2', status: 'cached', variant: 'micro' });
    expect(log.get('eval@e')?.status).toBe('failed');
    expect(log.size).toBe(2);
    expect((await readRunLog(join(root, 'nowhere'))).size).toBe(0);
  });

  it('keeps where a key was last computed (a run line or a worker event), through later cache hits', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dcsp-runlog-'));
    mkdirSync(join(root, 'runs'));
    const place = (gpu: object | null, backend = 'wasm') => ({ backend, gpu, threads: 2, started: 't' });
    const lines = [
      { run: 'r1', stage: 'train', key: 'k', status: 'run', seconds: 1, place: place({ index: 1, name: 'Fake B', slot: 0, simulated: true }) },
      { run: 'r2', stage: 'train', key: 'k', status: 'cached', seconds: 0 },
      // a worker's event comes before the coordinator's decision, which has no place
      { run: 'w', event: 'committed', stage: 'cues', key: 'c', place: place(null, 'none') },
      { run: 'r3', stage: 'cues', key: 'c', status: 'run', seconds: 1 },
      { run: 'r3', stage: 'eval', key: 'e', status: 'run', seconds: 1 },
      // a per-item stage spread over more cards: its own first, then its shards'
      {
        run: 'r4',
        stage: 'attention',
        key: 'a',
        status: 'run',
        seconds: 1,
        place: {
          ...place({ index: 1, name: 'T4', slot: 0 }, 'tfjs-node-gpu'),
          shards: [0, 2].map((index) => ({ gpu: { index, name: 'T4', slot: 0 }, started: 't', ended: 't', items: 3, threads: 1 })),
        },
      },
      {
        run: 'r4',
        stage: 'adapt',
        key: 'd',
        status: 'run',
        seconds: 1,
        place: {
          ...place({ index: 0, name: 'A100', slot: 0 }),
          shards: [{ gpu: { index: 1, name: 'T4', slot: 0 }, started: 't', ended: 't', items: 3, threads: 1 }],
        },
      },
    ];
    writeFileSync(join(root, 'runs', 'runs.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const log = await readRunLog(root);
    expect(log.get('train@k')).toMatchObject({ status: 'cached', where: 'GPU 1 (Fake B) simulated, wasm, 2 threads' });
    expect(log.get('cues@c')?.where).toBe('CPU, no tensors, 2 threads');
    expect(log.get('eval@e')?.where).toBeUndefined();
    expect(log.get('attention@a')?.where).toBe('GPUs 1, 0, 2 (T4), tfjs-node-gpu, 2 threads');
    expect(log.get('adapt@d')?.where).toBe('GPUs 0 (A100), 1 (T4), wasm, 2 threads');
  });
});
