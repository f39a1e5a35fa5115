// Builds the report: finds the artifacts (find-artifacts.ts), samples the images, and assembles the
// page from its sections (one module each: summary, dag, metrics, curves). `writeReport` is what
// both the `report` stage and a command line call; nothing in here depends on the executor.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ATTENTION } from '../layouts/attention.ts';
import { CUES } from '../layouts/cues.ts';
import { Dataset } from '../layouts/dataset.ts';
import { PREDICTIONS } from '../layouts/predictions.ts';
import { SALIENCY } from '../layouts/saliency.ts';
import { curvesHtml } from './curves-section.ts';
import { dagHtml } from './dag-section.ts';
import { EVALS, evalSetting } from './evals.ts';
import { findArtifacts, latestRun, panelIds, type SlotArtifacts } from './find-artifacts.ts';
import { esc } from './html.ts';
import { metricsHtml } from './metrics-section.ts';
import { page, type Section } from './page.ts';
import { probeCurvesHtml } from './probe-curves.ts';
import { evalRows, trainRows, type PanelSources } from './panels.ts';
import type { ReportOptions, ReportResult, WriteReportOptions } from './report-options.ts';
import { chooseSamples } from './samples.ts';
import { summaryHtml } from './summary-section.ts';
import { obj, sweepTable } from './tables.ts';

export async function writeReport(opts: WriteReportOptions): Promise<ReportResult & { out: string; bytes: number }> {
  const r = await buildReport(opts);
  const out = resolve(opts.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, r.html);
  return { ...r, out, bytes: Buffer.byteLength(r.html) };
}

export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const { lineage, slot, runs } = await findArtifacts(opts);
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
    sections.push({
      id: 'sweep',
      title: 'Sweep',
      html: `<p class="cap">One row per variant: the params it sets, then its metrics (best in bold).</p>${sweepTable(opts.sweep)}`,
    });
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

function figCaption(slot: SlotArtifacts): string {
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
