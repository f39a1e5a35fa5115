// Running a sweep: every variant against one cache, so a stage shared by variants runs once (later
// variants find it cached; with --jobs, concurrent ones wait on its lock and then find it). A
// failed variant is recorded and the others go on. The results are tabulated (the paper's Table 2
// shape when the grid is CRF x saliency x adapt) and written as Markdown, CSV and JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPipeline } from '../dag/load.ts';
import { variantsOf, type SweepSpec, type SweepVariant } from '../dag/sweep-spec.ts';
import { PROJECT_ROOT } from '../paths.ts';
import type { Json } from '../store/canonical-json.ts';
import type { Store } from '../store/store.ts';
import { silentProgress } from '../types.ts';
import type { RemoteStages } from './compute-stage.ts';
import { gpuArgs, type GpuPlan } from '../gpu/plan.ts';
import { runPipeline } from './executor.ts';
import { GpuSlots } from './gpu-slots.ts';
import { formatDuration } from '../format.ts';
import { groupKey, SEED_LABEL, summarizeSeeds, withSeeds } from './sweep-seeds.ts';

export interface SweepOptions {
  pipelineFile: string;
  until?: string;
  jobs: number;
  workers?: number;
  /** `stage.metricKey` tabulated, default eval.meanIoU */
  metric: string;
  log: (line: string) => void;
  /** `--executor bullmq`: every variant at once in this process, their stages computed by workers */
  remote?: RemoteStages;
  /** each variant run with this many seeds (sweep-seeds.ts); 1 or absent: as configured */
  seeds?: number;
  /** TensorBoard logs' folder (default cache/tensorboard); null: none (RunOptions.tensorboard) */
  tensorboard?: string | null;
  /** the GPUs every variant's tensor stages draw their slots from (gpu-slots.ts); null: none */
  gpus?: GpuPlan | null;
  /** with `remote`: tensor stages are GPU jobs (RunOptions.gpuJobs) */
  gpuJobs?: boolean;
}

export interface VariantResult {
  labels: Record<string, string>;
  ok: boolean;
  error?: string;
  stages: Record<string, 'cached' | 'run'>;
  metrics: Record<string, Record<string, Json>>;
  seconds: number;
}

export interface SweepResult {
  variants: VariantResult[];
  seconds: number;
  stageRuns: number;
  stageHits: number;
  files: string[];
  table: string;
}

function setArgs(spec: SweepSpec, v: SweepVariant): string[] {
  return [...spec.set, ...v.overrides.map((o) => o.raw)];
}

async function runInProcess(spec: SweepSpec, v: SweepVariant, store: Store, opts: SweepOptions): Promise<VariantResult> {
  const t0 = performance.now();
  const tag = describe(v);
  try {
    const p = await loadPipeline(opts.pipelineFile, { profile: spec.profile, set: spec.set, overrides: v.overrides, cacheDir: store.root });
    const r = await runPipeline(p, store, {
      until: opts.until,
      workers: opts.workers,
      remote: opts.remote,
      tensorboard: opts.tensorboard,
      ...(opts.gpus && !opts.remote ? { gpus: new GpuSlots(store.gpusDir, opts.gpus) } : {}),
      ...(opts.gpuJobs ? { gpuJobs: true } : {}),
      log: (l) => opts.log(`[${tag}] ${l}`),
      progress: () => silentProgress,
    });
    return {
      labels: v.labels,
      ok: !r.failed,
      error: r.failed?.error,
      stages: Object.fromEntries(r.outcomes.map((o) => [o.stage, o.status])),
      metrics: Object.fromEntries(r.outcomes.map((o) => [o.stage, o.manifest.metrics])),
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (err) {
    return { labels: v.labels, ok: false, error: (err as Error).message, stages: {}, metrics: {}, seconds: (performance.now() - t0) / 1000 };
  }
}

async function runInChild(spec: SweepSpec, v: SweepVariant, store: Store, opts: SweepOptions): Promise<VariantResult> {
  const { execa } = await import('execa');
  const t0 = performance.now();
  const tag = describe(v);
  const args = [join(PROJECT_ROOT, 'bin/pipeline.mjs'), 'run', '--json', '--pipeline', opts.pipelineFile, '--cache', store.root];
  if (spec.profile) args.push('--profile', spec.profile);
  if (opts.until) args.push('--until', opts.until);
  if (opts.workers !== undefined) args.push('--workers', String(opts.workers));
  if (opts.tensorboard === null) args.push('--no-tensorboard');
  else if (opts.tensorboard !== undefined) args.push('--tensorboard', opts.tensorboard);
  // the child finds the same slots under the cache: variants side by side share the cards
  args.push(...gpuArgs(opts.gpus ?? null));
  for (const s of setArgs(spec, v)) args.push('--set', s);
  const child = execa(process.execPath, args, { reject: false, stdout: 'pipe', stderr: 'pipe' });
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() && !line.includes('ETA')) opts.log(`[${tag}] ${line}`);
  });
  const r = await child;
  const seconds = (performance.now() - t0) / 1000;
  try {
    const out = JSON.parse(String(r.stdout)) as {
      outcomes: { stage: string; status: 'cached' | 'run'; metrics: Record<string, Json> }[];
      failed?: { error: string };
    };
    return {
      labels: v.labels,
      ok: !out.failed,
      error: out.failed?.error,
      stages: Object.fromEntries(out.outcomes.map((o) => [o.stage, o.status])),
      metrics: Object.fromEntries(out.outcomes.map((o) => [o.stage, o.metrics])),
      seconds,
    };
  } catch {
    const tail = String(r.stderr).trim().split('\n').slice(-1)[0] ?? '';
    return { labels: v.labels, ok: false, error: tail || `exit code ${r.exitCode}`, stages: {}, metrics: {}, seconds };
  }
}

export function describe(v: SweepVariant): string {
  return (
    Object.entries(v.labels)
      .map(([k, x]) => `${k}=${x}`)
      .join(' ') || 'base'
  );
}

export async function runSweep(spec: SweepSpec, store: Store, opts: SweepOptions): Promise<SweepResult> {
  const seeds = opts.seeds ?? 1;
  const load = (v: SweepVariant) => loadPipeline(opts.pipelineFile, { profile: spec.profile, set: spec.set, overrides: v.overrides, cacheDir: store.root });
  const variants = seeds > 1 ? await withSeeds(variantsOf(spec), seeds, load) : variantsOf(spec);
  const t0 = performance.now();
  // with remote workers, variants wait on jobs, not on this machine's cores: all of them at once
  const lanes = opts.remote ? variants.length : opts.jobs;
  opts.log(`sweep: ${variants.length} variant(s), ${lanes} at a time${opts.remote ? ' (stages on the workers)' : ''}`);
  const results: VariantResult[] = new Array(variants.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < variants.length) {
      const i = next++;
      const v = variants[i];
      opts.log(`sweep: variant ${i + 1}/${variants.length}: ${describe(v)}`);
      results[i] = opts.jobs > 1 && !opts.remote ? await runInChild(spec, v, store, opts) : await runInProcess(spec, v, store, opts);
      const r = results[i];
      opts.log(`sweep: variant ${i + 1}/${variants.length} ${r.ok ? 'done' : 'FAILED'} in ${formatDuration(r.seconds)}${r.ok ? '' : `: ${r.error}`}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, variants.length)) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const decisions = results.flatMap((r) => Object.values(r.stages));
  const stageRuns = decisions.filter((s) => s === 'run').length;
  const table = tabulate(spec, results, opts.metric, seeds > 1);
  const dir = join(store.root, 'sweeps', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(dir, { recursive: true });
  const files = [join(dir, 'results.md'), join(dir, 'results.csv'), join(dir, 'results.json')];
  await writeFile(files[0], `${table}\n`);
  await writeFile(files[1], toCsv(spec, results, opts.metric, seeds > 1));
  await writeFile(
    files[2],
    `${JSON.stringify({ metric: opts.metric, seconds, stageRuns, stageHits: decisions.length - stageRuns, variants: results }, null, 1)}\n`,
  );
  return { variants: results, seconds, stageRuns, stageHits: decisions.length - stageRuns, files, table };
}

/** A stage metric by path, `stage.key` or deeper (`erase-s3.quality.objectRecall`); null unless a number. */
export function metricValue(metrics: Record<string, Record<string, unknown>>, metric: string): number | null {
  const [stage, ...path] = metric.split('.');
  let v: unknown = metrics[stage];
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' ? v : null;
}

function metricOf(r: VariantResult, metric: string): number | null {
  return metricValue(r.metrics, metric);
}

function fmt(v: number | null): string {
  return v === null ? '-' : Math.abs(v) <= 1 ? (100 * v).toFixed(1) : v.toFixed(3);
}

const TABLE2 = ['cues.saliency', 'eval.checkpoint', 'eval.crf'];

/** A Table 2 cell: the variant's metric, or over seeds mean +- sd (N). */
function cell(rs: VariantResult[], metric: string, seeds: boolean): string {
  if (!seeds) return rs[0]?.ok ? fmt(metricOf(rs[0], metric)) : 'failed';
  const sum = summarizeSeeds(rs.filter((r) => r.ok).map((r) => metricOf(r, metric)));
  if (!sum) return 'failed';
  return `${fmt(sum.mean)} ± ${fmt(sum.sd)} (N=${sum.n}${sum.n < rs.length ? ` of ${rs.length}` : ''})`;
}

/**
 * The paper's Table 2 (saliency mask rows; adapt x CRF columns) when the grid's axes are saliency
 * and one or both of the others; then one row per variant. With seeds, cells are mean +- sd (N).
 */
export function tabulate(spec: SweepSpec, results: VariantResult[], metric: string, seeds = false): string {
  const axes = spec.axes.map((a) => a.name);
  const lines: string[] = [];
  if (axes.length >= 2 && axes.includes('cues.saliency') && axes.every((a) => TABLE2.includes(a))) {
    const valuesOf = (name: string): (string | null)[] =>
      spec.axes.find((a) => a.name === name)?.values.map((o) => o.raw.slice(o.raw.indexOf('=') + 1)) ?? [null];
    const rows = valuesOf('cues.saliency') as string[];
    const adapt = valuesOf('eval.checkpoint');
    const crf = valuesOf('eval.crf');
    const cols = crf.flatMap((c) => adapt.map((a) => ({ c, a })));
    const head = ({ c, a }: { c: string | null; a: string | null }): string =>
      [c === null ? null : c === 'true' ? 'CRF' : 'no CRF', a === null ? null : a === 'retrain' ? 'adapt' : 'no adapt'].filter(Boolean).join(', ');
    lines.push(`${metric} (%), Table 2 layout${seeds ? ', mean ± sd over seeds' : ''}`, '');
    lines.push(`| saliency mask | ${cols.map(head).join(' | ')} |`);
    lines.push(`|---|${cols.map(() => '---:').join('|')}|`);
    for (const s of rows) {
      const cells = cols.map(({ c, a }) =>
        cell(
          results.filter(
            (x) => x.labels['cues.saliency'] === s && (c === null || x.labels['eval.crf'] === c) && (a === null || x.labels['eval.checkpoint'] === a),
          ),
          metric,
          seeds,
        ),
      );
      lines.push(`| ${s.toUpperCase()} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  if (seeds) {
    // one row per variant over its seeds, then every seed
    lines.push(`| ${[...axes, `${metric} mean ± sd (N)`].join(' | ')} |`);
    lines.push(`|${[...axes, metric].map(() => '---').join('|')}|`);
    const groups = new Map<string, VariantResult[]>();
    for (const r of results) groups.set(groupKey(r.labels), [...(groups.get(groupKey(r.labels)) ?? []), r]);
    for (const rs of groups.values()) lines.push(`| ${[...axes.map((a) => rs[0].labels[a]), cell(rs, metric, true)].join(' | ')} |`);
    lines.push('');
  }
  const cols = seeds ? [...axes, SEED_LABEL] : axes;
  lines.push(`| ${[...cols, metric, 'stages run', 'status'].join(' | ')} |`);
  lines.push(`|${[...cols, metric, 'stages run', 'status'].map(() => '---').join('|')}|`);
  for (const r of results) {
    const ran = Object.values(r.stages).filter((s) => s === 'run').length;
    lines.push(
      `| ${[...cols.map((a) => r.labels[a]), r.ok ? fmt(metricOf(r, metric)) : '-', String(ran), r.ok ? 'ok' : `failed: ${(r.error ?? '').replace(/\|/g, '/')}`].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function toCsv(spec: SweepSpec, results: VariantResult[], metric: string, seeds: boolean): string {
  const axes = [...spec.axes.map((a) => a.name), ...(seeds ? [SEED_LABEL] : [])];
  const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [[...axes, metric, 'stages_run', 'ok', 'error'].join(',')];
  for (const r of results) {
    const m = metricOf(r, metric);
    rows.push(
      [
        ...axes.map((a) => q(r.labels[a])),
        m === null ? '' : String(m),
        String(Object.values(r.stages).filter((s) => s === 'run').length),
        String(r.ok),
        q(r.error ?? ''),
      ].join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}
