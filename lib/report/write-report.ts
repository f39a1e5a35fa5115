// Builds the report: finds the artifacts (given ones, then everything upstream of them through the
// manifests), reads the run log, and assembles the page. `writeReport` is what both the `report`
// stage and a command line call; nothing in here depends on the executor.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ATTENTION } from '../layouts/attention.ts';
import { CUES } from '../layouts/cues.ts';
import { Dataset } from '../layouts/dataset.ts';
import type { ItemMaps } from '../layouts/item-maps.ts';
import { CURVE_FILE } from '../layouts/model.ts';
import { PREDICTIONS } from '../layouts/predictions.ts';
import { SALIENCY } from '../layouts/saliency.ts';
import { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import { lineChart, type Series } from './chart-svg.ts';
import { dagSvg, nodeStateColours, NODE_STATE_LABEL, type DagEdge, type DagNode, type NodeState } from './dag-svg.ts';
import { esc, pct, seconds, table } from './html.ts';
import { readRunLog, shortKey, walkLineage, type Lineage, type LineageNode, type RunRecord } from './lineage.ts';
import { page, type Section } from './page.ts';
import { probeCurvesHtml, type ProbeSeries } from './probe-curves.ts';
import { REPORT_SLOTS, type ReportSlot } from './slots.ts';
import { evalRows, trainRows, type PanelSources } from './panels.ts';
import { chooseSamples } from './samples.ts';
import {
  CLASSIFIER_COLUMNS,
  CUE_COLUMNS,
  EVAL_COLUMNS,
  iouTable,
  metricTable,
  obj,
  SALIENCY_COLUMNS,
  sweepTable,
  TRAINING_COLUMNS,
  type MetricRow,
  type SweepRow,
} from './tables.ts';

export type { SweepRow } from './tables.ts';


/** The evaluations compared side by side, in table order. */
const EVALS: { slot: 'eval' | 'direct' | 'oracle'; name: string; short: string }[] = [
  { slot: 'eval', name: 'DCSP', short: 'prediction' },
  { slot: 'direct', name: 'no joint training (Algorithm 1 on val)', short: 'no joint training' },
  { slot: 'oracle', name: 'oracle (trained on ground-truth cues)', short: 'oracle' },
];


export interface ReportOptions {
  /**
   * Artifact dirs by report slot (dataset, s1, s2, s3, attention, cues, adapt, eval, direct,
   * oracle). At least one; the other slots are found upstream of these through the manifests,
   * under the stage `stages` maps them to.
   */
  artifacts: Partial<Record<ReportSlot, string>>;
  /** slot -> the stage that fills it, from the resolved pipeline (the report stage's inputs) */
  stages?: Partial<Record<ReportSlot, string>>;
  /** default: two levels up from the first artifact dir */
  cacheRoot?: string;
  /** sweep results to tabulate (one row per variant) */
  sweep?: SweepRow[];
  /** images per figure (train and val), default 8 */
  samples?: number;
  /** longest side of an inlined picture, default 256 */
  maxSide?: number;
  title?: string;
  /** the node that stands for the report itself in the DAG, when it is a stage */
  self?: { stage: string; key?: string };
  /**
   * Show the facts of how artifacts were computed (times, it/s, resumed from, what the last run
   * did); default true. The report stage leaves them out: its artifact must be a function of its
   * key, and those facts are not part of any artifact's content (a resumed run differs in them).
   */
  runFacts?: boolean;
  /** with run facts: the trainings' checkpoint measures from the run's scalars files (the same as TensorBoard's) */
  probes?: ProbeSeries[];
}

/** training metrics that describe the run rather than the result */
const RUN_FACT_KEYS = new Set(['resumedFrom', 'itPerSecond', 'seconds']);

export interface ReportResult {
  html: string;
  /** pictures inlined */
  images: number;
  /** stages in the DAG (not counting the report) */
  stages: number;
  samples: { train: string[]; val: string[] };
}

export interface WriteReportOptions extends ReportOptions {
  /** path of the HTML file to write */
  out: string;
}

export async function writeReport(opts: WriteReportOptions): Promise<ReportResult & { out: string; bytes: number }> {
  const r = await buildReport(opts);
  const out = resolve(opts.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, r.html);
  return { ...r, out, bytes: Buffer.byteLength(r.html) };
}

interface Resolved {
  lineage: Lineage;
  slot: Partial<Record<ReportSlot, Artifact>>;
  runs: Map<string, RunRecord>;
}

const dirs = (opts: ReportOptions): string[] => Object.values(opts.artifacts).filter((d): d is string => Boolean(d));

async function resolveArtifacts(opts: ReportOptions): Promise<Resolved> {
  const lineage = await walkLineage(dirs(opts), opts.cacheRoot);
  const slot: Partial<Record<ReportSlot, Artifact>> = {};
  for (const s of REPORT_SLOTS) {
    const given = opts.artifacts[s];
    const stage = opts.stages?.[s];
    if (given) slot[s] = await Artifact.open(given);
    else if (stage) {
      const n = lineage.byStage(stage);
      if (n?.artifact) slot[s] = n.artifact;
    }
  }
  return { lineage, slot, runs: opts.runFacts === false ? new Map() : await readRunLog(lineage.cacheRoot) };
}

export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const { lineage, slot, runs } = await resolveArtifacts(opts);
  if (!slot.dataset) throw new Error('report: no dataset artifact among the inputs or upstream of them');
  const dataset = await Dataset.open(slot.dataset);
  const samples = opts.samples ?? 8;
  const panelOpts = { maxSide: opts.maxSide ?? 256 };
  const src: PanelSources = {
    dataset,
    attention: slot.attention,
    saliency: (['s1', 's2', 's3'] as const).flatMap((s, i) => (slot[s] ? [{ name: `S${i + 1}`, artifact: slot[s] }] : [])),
    cues: slot.cues,
    adapt: slot.adapt,
    evals: EVALS.flatMap((e) => (slot[e.slot] ? [{ name: e.short, artifact: slot[e.slot]! }] : [])),
  };

  const trainIds = await panelIds(slot.attention ?? slot.cues ?? slot.s1, [ATTENTION, CUES, SALIENCY], dataset.ids('train'));
  const firstEval = slot.eval ?? slot.direct ?? slot.oracle;
  const valIds = firstEval ? await panelIds(firstEval, [PREDICTIONS], []) : [];
  const labelsOf = (id: string): number[] => dataset.labels(id);
  const trainSample = chooseSamples(trainIds, labelsOf, samples);
  const valSample = chooseSamples(valIds, labelsOf, samples);
  const train = await trainRows(src, trainSample, panelOpts);
  const val = await evalRows(src, valSample, panelOpts);

  const lastRun = latestRun(lineage.nodes, runs);
  const sections: Section[] = [
    { id: 'summary', title: 'Summary', html: summaryHtml(slot) },
    { id: 'dag', title: 'Pipeline', html: dagHtml(lineage, runs, opts) },
    {
      id: 'fig1',
      title: 'Cues (Fig. 1)',
      html: `<p class="cap">${figCaption(slot)}</p>${colourKey()}${train.html || '<p class="cap">no train images to show</p>'}`,
    },
  ];
  if (firstEval) {
    const p = obj(firstEval.manifest.params);
    const others = EVALS.filter((e) => e.slot !== 'eval' && slot[e.slot]).map((e) => e.name);
    sections.push({
      id: 'predictions',
      title: 'Predictions',
      html: `<p class="cap">${esc(String(p.split ?? 'val'))} images: the image, its ground truth and the prediction${slot.eval ? ` (${esc(evalSetting(obj(slot.eval.manifest.params)))})` : ''}${others.length ? `; then ${esc(others.join(' and '))}` : ''}.</p>${val.html ? `<div class="cards">${val.html}</div>` : '<p class="cap">no evaluated images</p>'}`,
    });
  }
  sections.push({ id: 'metrics', title: 'Metrics', html: metricsHtml(lineage, slot, dataset, opts.runFacts !== false) });
  const curves = (await curvesHtml(lineage)) + (opts.probes && opts.runFacts !== false ? probeCurvesHtml(opts.probes) : '');
  if (curves) sections.push({ id: 'curves', title: 'Training curves', html: curves });
  if (opts.sweep?.length) {
    sections.push({ id: 'sweep', title: 'Sweep', html: `<p class="cap">One row per variant: the params it sets, then its metrics (best in bold).</p>${sweepTable(opts.sweep)}` });
  }

  const splits = dataset.index.splits;
  const subtitle = [
    lastRun?.variant ? `profile <b>${esc(lastRun.variant)}</b>` : '',
    `dataset ${esc(dataset.index.source)}: ${splits.train.length} train / ${splits.val.length} val / ${splits.test.length} test`,
    lastRun ? `last run ${esc(lastRun.run)}` : 'no run log',
  ]
    .filter(Boolean)
    .join(' · ');
  const where = opts.runFacts === false ? '' : ` · cache ${esc(lineage.cacheRoot)} · generated ${esc(new Date().toISOString())}`;
  const footer = `dcsp-pipeline report${where} · a single file: every picture is inlined, nothing is fetched`;
  const html = page(opts.title ?? 'DCSP pipeline report', subtitle, sections, footer);
  return {
    html,
    images: train.images + val.images,
    stages: lineage.nodes.length,
    samples: { train: trainSample, val: valSample },
  };
}

/** Ids of the first per-item array the artifact has among `names`, else `fallback`. */
async function panelIds(art: Artifact | undefined, arrays: ItemMaps[], fallback: string[]): Promise<string[]> {
  if (!art) return fallback;
  for (const a of arrays) {
    try {
      return await a.ids(art);
    } catch {
      // not this array; try the next name
    }
  }
  return fallback;
}

function latestRun(nodes: LineageNode[], runs: Map<string, RunRecord>): RunRecord | undefined {
  let best: RunRecord | undefined;
  for (const n of nodes) {
    const r = runs.get(n.id);
    if (r && (!best || (r.at ?? '') > (best.at ?? ''))) best = r;
  }
  return best;
}

const evalSetting = (p: Record<string, Json>): string =>
  `${p.checkpoint === 'train' ? 'model before adapt' : 'model after adapt and retraining'}, scales ${Array.isArray(p.scales) ? p.scales.join(' / ') : '–'}, ${p.crf === false ? 'no CRF' : 'dense CRF'}`;

function figCaption(slot: Partial<Record<ReportSlot, Artifact>>): string {
  const cp = obj(slot.cues?.manifest.params);
  const cue = slot.cues
    ? cp.source === 'gt'
      ? 'the oracle cues from the ground truth'
      : `the cues of Algorithm 1 (${esc(String(cp.mean ?? 'harmonic'))} mean of A<sup>c</sup> and ${esc(String(cp.saliency ?? 's3').toUpperCase())}, background below γ = ${esc(String(cp.gamma ?? '–'))})`
    : '';
  return [
    'A fixed sample of train images, preferring those with two or more classes. I: the image; A<sup>c</sup>: the attention map of each class in the image (FCAN, per-class min-max normalised);',
    'S1: saliency; S2, S3: saliency after the first and second erasing;',
    cue ? `M: ${cue}; M′: the cues recomputed by the trained network (adapt); then the ground truth, which the pipeline never trains on.` : '',
  ].join(' ');
}

function colourKey(): string {
  return `<div class="colourbar">maps A, S: 0 <i></i> 1</div>`;
}

function summaryHtml(slot: Partial<Record<ReportSlot, Artifact>>): string {
  const kpis: [string, string][] = [];
  const m = (a: Artifact | undefined): Record<string, Json> => obj(a?.manifest.metrics);
  if (slot.eval) kpis.push([`${pct(m(slot.eval).meanIoU)}%`, `mIoU on ${esc(String(obj(slot.eval.manifest.params).split ?? 'val'))}`]);
  if (slot.direct) kpis.push([`${pct(m(slot.direct).meanIoU)}%`, 'mIoU without joint training']);
  if (slot.oracle) kpis.push([`${pct(m(slot.oracle).meanIoU)}%`, 'mIoU of the oracle']);
  if (slot.cues) kpis.push([`${pct(obj(m(slot.cues).quality).meanIoU)}%`, 'cue mIoU (Algorithm 1)']);
  if (slot.adapt) kpis.push([`${pct(obj(m(slot.adapt).quality).meanIoU)}%`, 'cue mIoU after adapt']);
  const r1 = obj(m(slot.s1).quality).objectRecall;
  const r3 = obj(m(slot.s3).quality).objectRecall;
  if (slot.s1 && slot.s3) kpis.push([`${pct(r1)} → ${pct(r3)}%`, 'object recall S1 → S3']);
  if (slot.attention) kpis.push([`${pct(m(slot.attention).valMap)}%`, 'classifier mAP (val)']);
  if (!kpis.length) return '<p class="cap">no metrics</p>';
  return `<div class="kpis">${kpis.map(([v, l]) => `<div class="kpi"><b>${v}</b><span>${l}</span></div>`).join('')}</div>`;
}

/** A param value as a reader writes it: `[1, 0.75]`, `{train: 24, val: 12}`; strings bare at top level. */
export function formatValue(v: Json, top = true): string {
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, false)).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${formatValue(x, false)}`).join(', ')}}`;
  return typeof v === 'string' && !top ? JSON.stringify(v) : String(v);
}

function formatParams(params: Json): string {
  const p = obj(params);
  const keys = Object.keys(p);
  if (!keys.length) return '<span style="color:#999">none</span>';
  return keys.map((k) => `<span class="kv">${esc(k)}=${esc(formatValue(p[k]))}</span>`).join(' ');
}

function nodeState(n: LineageNode, runs: Map<string, RunRecord>): NodeState {
  if (!n.artifact) return 'missing';
  return (runs.get(n.id)?.status as NodeState | undefined) ?? 'unknown';
}

function dagHtml(lineage: Lineage, runs: Map<string, RunRecord>, opts: ReportOptions): string {
  const facts = opts.runFacts !== false;
  const nodes: DagNode[] = lineage.nodes.map((n) => {
    const state = nodeState(n, runs);
    const secs = n.artifact?.manifest.seconds;
    return {
      id: n.id,
      title: n.stage,
      detail: facts ? `${shortKey(n.key)}  ${seconds(secs)}` : shortKey(n.key),
      state,
      tooltip: `${n.stage} ${n.key}\n${NODE_STATE_LABEL[state]}`,
    };
  });
  const edges: DagEdge[] = lineage.nodes.flatMap((n) => Object.values(n.inputs).map((from) => ({ from, to: n.id })));
  if (opts.self) {
    const id = `${opts.self.stage}@${opts.self.key ?? 'this'}`;
    nodes.push({ id, title: opts.self.stage, detail: opts.self.key ? shortKey(opts.self.key) : '', state: 'this' });
    const given = new Set(dirs(opts).map((d) => resolve(d)));
    for (const n of lineage.nodes) if (given.has(resolve(n.dir))) edges.push({ from: n.id, to: id });
  }
  const rows = lineage.nodes.map((n) => {
    const state = nodeState(n, runs);
    const c = nodeStateColours(state);
    const inputs = Object.entries(n.inputs)
      .map(([slotName, id]) => `<span class="nw">${esc(slotName)}←${esc(id.split('@')[0])}</span>`)
      .join(', ');
    return [
      `<b>${esc(n.stage)}</b>`,
      `<code title="${esc(n.key)}">${esc(shortKey(n.key))}</code>`,
      ...(facts ? [
        `<span class="badge" style="background:${c.fill};border-color:${c.stroke};color:${c.stroke}">${esc(NODE_STATE_LABEL[state])}</span>`,
        `<span style="white-space:nowrap">${seconds(n.artifact?.manifest.seconds)}</span>`,
      ] : []),
      inputs || '–',
      `<div class="params">${n.artifact ? formatParams(n.artifact.manifest.params) : 'not in cache'}</div>`,
    ];
  });
  const head = facts ? ['stage', 'key', 'last run', 'time', 'inputs', 'params'] : ['stage', 'key', 'inputs', 'params'];
  const tableHtml = table(head, rows, 'stages').replace(/<td><div class="params">/g, '<td class="params"><div>');
  const cap = (facts
    ? 'Each stage with its artifact key, the time it took when it was computed, and what the latest run that reached it did (computed it, or found it in the cache). '
    : 'Each stage with its artifact key (times and cache hits are in `pipeline report`: they are facts of a run, not of the results). ')
    + 'Arrows show direct dependencies only: every stage also reads the dataset (the table lists all inputs).';
  return `<p class="cap">${cap}</p><div class="dag-wrap">${dagSvg(nodes, edges)}${tableHtml}</div>`;
}

function metricsHtml(lineage: Lineage, slot: Partial<Record<ReportSlot, Artifact>>, dataset: Dataset, facts: boolean): string {
  const parts: string[] = [];
  const m = (a: Artifact | undefined): Record<string, Json> => {
    const all = obj(a?.manifest.metrics);
    return facts ? all : Object.fromEntries(Object.entries(all).filter(([k]) => !RUN_FACT_KEYS.has(k)));
  };
  const evals = EVALS.filter((e) => slot[e.slot]).map((e) => ({ ...e, artifact: slot[e.slot]! }));
  if (evals.length) {
    const split = String(obj(evals[0].artifact.manifest.params).split ?? 'val');
    parts.push(`<h3>Segmentation on ${esc(split)}</h3>`);
    parts.push(metricTable(evals.map((e) => ({ name: e.name, values: m(e.artifact) })), EVAL_COLUMNS));
    if (slot.eval) parts.push(`<p class="cap">DCSP: ${esc(evalSetting(obj(slot.eval.manifest.params)))}.</p>`);
    const series = evals.map((e) => ({ name: e.slot === 'eval' ? 'DCSP' : e.short, iou: obj(m(e.artifact).iou) })).filter((x) => Object.keys(x.iou).length);
    if (series.length) parts.push(iouTable(series, dataset.index.classNames, dataset.index.palette));
    parts.push('<p class="cap">IoU per class; a dash where the class occurs in neither the ground truth nor the prediction (left out of the mean).</p>');
  }
  const cueRows: MetricRow[] = [];
  if (slot.cues) {
    const p = obj(slot.cues.manifest.params);
    const name = p.source === 'gt' ? 'cues (ground truth)' : `cues (${String(p.saliency ?? '')}, ${String(p.mean ?? '')}, γ ${String(p.gamma ?? '')})`;
    cueRows.push({ name, values: obj(m(slot.cues).quality) });
  }
  if (slot.adapt) cueRows.push({ name: 'adapted cues', values: obj(m(slot.adapt).quality) });
  if (cueRows.length) parts.push('<h3>Cue quality (train images, against the ground truth)</h3>', metricTable(cueRows, CUE_COLUMNS));
  const salRows: MetricRow[] = (['s1', 's2', 's3'] as const).flatMap((s, i) =>
    slot[s] ? [{ name: `S${i + 1} (${slot[s].stage})`, values: obj(m(slot[s]).quality) }] : [],
  );
  if (salRows.length) parts.push('<h3>Saliency quality (against the class-agnostic foreground)</h3>', metricTable(salRows, SALIENCY_COLUMNS));
  if (slot.attention) parts.push('<h3>Classifier and attention (FCAN)</h3>', metricTable([{ name: 'attention', values: m(slot.attention) }], CLASSIFIER_COLUMNS));
  const trainRowsM: MetricRow[] = lineage.nodes
    // training stages by what they report (a stage may be another instance of a training module)
    .filter((n) => n.artifact && typeof m(n.artifact).iterations === 'number' && 'finalLoss' in m(n.artifact))
    .map((n) => ({ name: n.stage, values: facts ? { ...m(n.artifact!), seconds: n.artifact!.manifest.seconds } : m(n.artifact!) }));
  const trainColumns = facts ? TRAINING_COLUMNS : TRAINING_COLUMNS.filter((c) => !RUN_FACT_KEYS.has(c.key));
  if (trainRowsM.length) parts.push('<h3>Training</h3>', metricTable(trainRowsM, trainColumns));
  return parts.join('\n') || '<p class="cap">no metrics</p>';
}

interface CurvePoint {
  iteration: number;
  loss: number | null;
  segLoss: number | null;
  clsLoss: number | null;
  lr: number | null;
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Bin means over `max` bins when a curve is longer (30K iterations would be a 1 MB polyline). */
export function binCurve(points: CurvePoint[], max = 500): { points: CurvePoint[]; bin: number } {
  if (points.length <= max) return { points, bin: 1 };
  const bin = Math.ceil(points.length / max);
  const out: CurvePoint[] = [];
  for (let i = 0; i < points.length; i += bin) {
    const chunk = points.slice(i, i + bin);
    const mean = (k: keyof CurvePoint): number | null => {
      const v = chunk.map((p) => p[k]).filter((x): x is number => x !== null);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    out.push({ iteration: chunk[chunk.length - 1].iteration, loss: mean('loss'), segLoss: mean('segLoss'), clsLoss: mean('clsLoss'), lr: mean('lr') });
  }
  return { points: out, bin };
}

async function curvesHtml(lineage: Lineage): Promise<string> {
  const blocks: string[] = [];
  for (const n of lineage.nodes) {
    if (!n.artifact) continue;
    let raw: unknown;
    try {
      raw = await n.artifact.json<unknown>(CURVE_FILE);
    } catch {
      continue;
    }
    if (!Array.isArray(raw) || !raw.length) continue;
    const pts: CurvePoint[] = raw
      .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
      .map((p) => ({ iteration: Number(p.iteration), loss: numOrNull(p.loss), segLoss: numOrNull(p.segLoss), clsLoss: numOrNull(p.clsLoss), lr: numOrNull(p.lr) }))
      .filter((p) => Number.isFinite(p.iteration));
    const { points, bin } = binCurve(pts);
    const xy = (k: keyof CurvePoint): [number, number | null][] => points.map((p) => [p.iteration, p[k]]);
    const loss: Series[] = [
      { name: 'total', colour: '#1f2a3c', points: xy('loss') },
      { name: 'segmentation', colour: '#d9480f', points: xy('segLoss') },
      { name: 'classification', colour: '#3f63a8', points: xy('clsLoss'), dashed: true },
    ];
    const binNote = bin > 1 ? ` (means over ${bin} iterations)` : '';
    blocks.push(
      `<h3>${esc(n.stage)} <span style="font-weight:400;color:#5a6475">${pts.length} iterations${binNote}</span></h3>`,
      `<div class="charts">${lineChart(loss, { title: `${n.stage}: loss`, xLabel: 'iteration', yLabel: 'loss', zeroBased: true })}${lineChart(
        [{ name: 'lr', colour: '#2f855a', points: xy('lr') }],
        { title: `${n.stage}: learning rate`, xLabel: 'iteration', yLabel: 'lr', zeroBased: true },
      )}</div>`,
    );
  }
  if (!blocks.length) return '';
  return `<p class="cap">Loss per iteration (total = segmentation + classification + weight decay, as the training loop reports it) and the poly learning-rate schedule.</p>${blocks.join('\n')}`;
}
