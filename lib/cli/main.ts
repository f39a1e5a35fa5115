// `pipeline` command line. Every command loads and validates the pipeline first, so bad input is
// reported (exit 2) before anything touches the cache.
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadPipeline, type IdleStage, type Pipeline } from '../dag/load.ts';
import { InputError, StageFailedError } from '../errors.ts';
import { runPipeline } from '../exec/executor.ts';
import { collectGarbage } from '../exec/gc.ts';
import { planPipeline } from '../exec/plan.ts';
import { writeLine } from '../exec/progress.ts';
import { formatDuration, formatPercent } from '../format.ts';
import { Store } from '../store/store.ts';
import { CHECKPOINT_DIR } from '../layouts/model.ts';
import { verifyStore } from '../store/verify.ts';
import { EXECUTOR_OPTIONS, openRemote, WORKER_OPTIONS, workerCommand, workerPipeline } from '../distributed/cli.ts';
import { BACKEND_ENV, BACKEND_NAMES, BACKEND_PIN_ENV, BACKEND_PINNED_ENV } from '../tensor/backend-names.ts';
import { describeSetting, NONDETERMINISTIC_ENV, readNumericsSetting, THREADS_ENV, useNumerics } from '../tensor/numerics.ts';
import { stageNumerics } from '../stage/numerics.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { intOption, parse, type Options } from './args.ts';
import { prepareCacheDir } from './cache-dir.ts';
import { HELP, registriesHelp } from './help.ts';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const TENSORBOARD_OPTIONS: Options = {
  tensorboard: { type: 'string' },
  'no-tensorboard': { type: 'boolean' },
};

/** `--tensorboard DIR` (absolute), `--no-tensorboard` (null), or the default under the cache (undefined). */
function tensorboardRoot(values: Values): string | null | undefined {
  if (values['no-tensorboard']) {
    if (values.tensorboard !== undefined) throw new InputError('--tensorboard DIR and --no-tensorboard contradict each other');
    return null;
  }
  return values.tensorboard === undefined ? undefined : resolve(values.tensorboard as string);
}

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => writeLine(t),
};

/** The pipeline file and cache directory a command works on. */
function locate(values: Values): { file: string; cache: string } {
  const file = (values.pipeline as string | undefined) ?? process.env.DCSP_PIPELINE ?? 'pipeline.yaml';
  return { file, cache: resolve((values.cache as string | undefined) ?? process.env.DCSP_CACHE ?? join(dirname(resolve(file)), 'cache')) };
}

/**
 * `demand`: on-demand stages the command names (--until, --force), which join the run. `write`:
 * the command writes into the cache, which must then be a writable directory (checked first).
 */
async function open(values: Values, demand: string[] = [], write = false): Promise<{ p: Pipeline; store: Store }> {
  const { file, cache } = locate(values);
  // loading validates everything before it writes its memo (and only into a cache that exists)
  const p = await loadPipeline(file, { profile: values.profile as string | undefined, set: values.set as string[] | undefined, cacheDir: cache, demand });
  if (write) prepareCacheDir(cache);
  return { p, store: new Store(cache) };
}

const commands: Record<string, { options: Options; positionals?: boolean; run(values: Values, io: Io, positionals: string[]): Promise<number> }> = {
  run: {
    options: {
      until: { type: 'string' },
      force: { type: 'string', multiple: true },
      isolate: { type: 'boolean' },
      workers: { type: 'string' },
      jobs: { type: 'string', short: 'j' },
      json: { type: 'boolean' },
      'no-preflight': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      ...TENSORBOARD_OPTIONS,
      ...EXECUTOR_OPTIONS,
    },
    async run(values, io) {
      const until = values.until as string | undefined;
      const force = (values.force as string[] | undefined) ?? [];
      const workers = intOption('run', 'workers', values.workers as string | undefined);
      const jobs = intOption('run', 'jobs', values.jobs as string | undefined);
      const tensorboard = tensorboardRoot(values);
      const { p, store } = await open(values, [...(until ? [until] : []), ...force], true);
      // loaded now, not after hours of training: by then the bundle may have been rebuilt (a pull)
      const runReport = import('./run-report.ts');
      runReport.catch(() => undefined); // a failure is reported where the page is written
      for (const s of [...(until ? [until] : []), ...force]) {
        if (!p.stages.has(s)) throw new InputError(`unknown stage '${s}' (stages: ${p.order.join(', ')})`);
      }
      const t0 = performance.now();
      const { largeTraining, preflight } = await import('../doctor/preflight.ts');
      const stages = p.order.map((n) => p.stages.get(n)!);
      if (!values['no-preflight'] && largeTraining(stages)) {
        // a long run says first how long its training will take here
        const plans = await planPipeline(p, store);
        const inRun = until ? new Set([until, ...p.ancestors(until)]) : null;
        const willRun = (n: string) => (inRun === null || inRun.has(n)) && (plans.get(n)?.state !== 'cached' || force.includes(n));
        for (const line of await preflight(p.profile, stages, willRun, { yes: Boolean(values.yes) })) io.err(line);
      }
      io.err(`profile ${p.profile}${p.overrides.length ? ` with ${p.overrides.map((o) => o.raw).join(' ')}` : ''}; cache ${store.root}`);
      io.err(`backend: ${describeSetting(p.numerics)}`);
      for (const note of p.notes ?? []) io.err(`note: ${note}`);
      const remote = await openRemote('run', values, store, io.err);
      const summary = await runPipeline(p, store, {
        until,
        force,
        isolate: Boolean(values.isolate),
        workers,
        jobs,
        log: io.err,
        tensorboard,
        ...(remote ? { remote } : {}),
      }).finally(() => remote?.close());
      const seconds = (performance.now() - t0) / 1000;
      const page = summary.failed ? null : await runReport.then((m) => m.writeRunReport(p, store, summary.outcomes, tensorboard)).catch((err: Error) => {
        // the results are committed whatever happens to this page: say so, and point at the artifact
        io.err(`WARNING: the report page with this run's facts was not written: ${err.message.split('\n')[0]}`);
        return null;
      });
      if (values.json) io.out(JSON.stringify({ ...summary, outcomes: summary.outcomes.map(({ manifest, ...o }) => ({ ...o, metrics: manifest.metrics })), seconds, ...(page ? { report: page } : {}) }));
      else {
        const ran = summary.outcomes.filter((o) => o.status === 'run').length;
        io.err(
          summary.outcomes.map((o) => `  ${o.stage.padEnd(16)} ${o.status.padEnd(7)} ${o.key.slice(0, 12)}  ${formatDuration(o.seconds)}`).join('\n'),
        );
        io.err(`${ran} stage(s) ran, ${summary.outcomes.length - ran} cached, in ${formatDuration(seconds)}`);
        for (const line of headline(summary.outcomes, store, page)) io.out(line);
      }
      for (const f of summary.failures ?? []) {
        io.err(f.error.startsWith('stage ') ? f.error : `stage ${f.stage} failed: ${f.error}`);
      }
      return summary.failed ? 1 : 0;
    },
  },
  status: {
    options: { json: { type: 'boolean' }, watch: { type: 'boolean' }, interval: { type: 'string' } },
    async run(values, io) {
      const { p, store } = await open(values);
      const { statusFrame, watchStatus } = await import('./status.ts');
      const render = async (): Promise<string> => {
        const f = await statusFrame(p, store, idleNote);
        // watched, JSON comes one frame per line
        return values.json ? JSON.stringify(f.json, null, values.watch ? undefined : 1) : f.lines.join('\n');
      };
      if (!values.watch) {
        if (values.interval !== undefined) throw new InputError('pipeline status: --interval goes with --watch');
        io.out(await render());
        return 0;
      }
      const seconds = intOption('status', 'interval', values.interval as string | undefined) ?? 2;
      if (seconds < 1) throw new InputError('pipeline status: --interval must be at least 1 (seconds)');
      return watchStatus(render, io.out, seconds, values.json ? 'json' : process.stdout.isTTY ? 'tty' : 'lines');
    },
  },
  doctor: {
    options: { json: { type: 'boolean' } },
    async run(values, io) {
      const { p, store } = await open(values);
      const { runDoctor, formatDoctor } = await import('../doctor/doctor.ts');
      io.err(`doctor: measuring training steps, a forward pass, the detector and the CRF on this machine (profile ${p.profile})...`);
      const report = await runDoctor({ profile: p.profile, stages: p.order.map((n) => p.stages.get(n)!), dataDir: store.dataDir });
      if (values.json) io.out(JSON.stringify(report, null, 1));
      else for (const line of formatDoctor(report)) io.out(line);
      return 0;
    },
  },
  dag: {
    options: { format: { type: 'string' } },
    async run(values, io) {
      const { p } = await open(values);
      const format = (values.format as string | undefined) ?? 'text';
      if (format === 'mermaid') {
        const lines = ['graph LR'];
        for (const name of p.order) {
          const ins = Object.entries(p.stages.get(name)!.inputs);
          if (!ins.length && ![...p.graph.outNeighbors(name)].length) lines.push(`  ${id(name)}[${name}]`);
          for (const [slot, up] of ins) lines.push(`  ${id(up)}[${up}] -->|${slot}| ${id(name)}[${name}]`);
        }
        // idle on-demand stages: dotted, to where they would feed
        for (const s of p.idle) {
          if (!s.readers.length) lines.push(`  ${id(s.name)}[${s.name}]`);
          for (const r of s.readers) lines.push(`  ${id(s.name)}[${s.name}] -.->|${r.slot}| ${id(r.stage)}[${r.stage}]`);
        }
        io.out(lines.join('\n'));
      } else if (format === 'text') {
        for (const name of p.order) {
          const s = p.stages.get(name)!;
          const ins = Object.entries(s.inputs).map(([slot, up]) => (slot === up ? up : `${slot}=${up}`));
          const note = !s.implemented ? '  (not implemented yet)' : '';
          io.out(`${name}${ins.length ? ` <- ${ins.join(', ')}` : ''}${note}`);
        }
        for (const s of p.idle) io.out(`${s.name}  (${idleNote(s)})`);
      } else throw new InputError(`pipeline dag: --format must be text or mermaid, got '${format}'`);
      return 0;
    },
  },
  gc: {
    options: { 'dry-run': { type: 'boolean' } },
    async run(values, io) {
      const dry = Boolean(values['dry-run']);
      const { p, store } = await open(values, [], !dry);
      const removed = await collectGarbage(p, store, dry);
      for (const r of removed) io.out(`${dry ? 'would remove' : 'removed'} ${r.path} (${mb(r.bytes)}): ${r.why}`);
      io.out(`${removed.length} entr${removed.length === 1 ? 'y' : 'ies'}, ${mb(removed.reduce((a, r) => a + r.bytes, 0))}${dry ? ' (dry run)' : ''}`);
      return 0;
    },
  },
  verify: {
    options: { json: { type: 'boolean' } },
    async run(values, io) {
      const { store } = await open(values);
      const reports = await verifyStore(store, (r) => {
        if (!values.json) io.out(`${r.ok ? 'ok     ' : 'CORRUPT'} ${r.stage}/${r.key.slice(0, 12)}${r.ok ? '' : `: ${r.problems.join('; ')} (set aside; the next run recomputes it)`}`);
      });
      const bad = reports.filter((r) => !r.ok).length;
      if (values.json) io.out(JSON.stringify(reports));
      else io.out(`${reports.length} artifact(s) checked, ${bad} corrupt`);
      return bad ? 1 : 0;
    },
  },
  sweep: {
    options: {
      grid: { type: 'string', multiple: true, short: 'g' },
      file: { type: 'string', short: 'f' },
      jobs: { type: 'string', short: 'j' },
      until: { type: 'string' },
      workers: { type: 'string' },
      metric: { type: 'string' },
      seeds: { type: 'string' },
      json: { type: 'boolean' },
      ...TENSORBOARD_OPTIONS,
      ...EXECUTOR_OPTIONS,
    },
    run: (values, io) => sweep(values, io),
  },
  worker: {
    options: { ...WORKER_OPTIONS },
    async run(values, io) {
      const { cache } = locate({ ...values, pipeline: workerPipeline(values) });
      prepareCacheDir(cache);
      return workerCommand(values, cache, intOption('worker', 'concurrency', values.concurrency as string | undefined), io.err);
    },
  },
  report: {
    options: { out: { type: 'string', short: 'o' }, sweep: { type: 'string' }, samples: { type: 'string' } },
    run: (values, io) => reportCommand(values, io),
  },
  predict: {
    options: {
      out: { type: 'string', short: 'o' },
      checkpoint: { type: 'string' },
      'no-crf': { type: 'boolean' },
      scales: { type: 'string' },
    },
    positionals: true,
    run: (values, io, positionals) => predictCommand(values, positionals, io),
  },
  saliency: {
    options: { out: { type: 'string', short: 'o' }, labels: { type: 'string' }, detector: { type: 'string' } },
    positionals: true,
    run: (values, io, positionals) => saliency(values, positionals, io),
  },
};

async function sweep(values: Values, io: Io): Promise<number> {
  const { axisFromGrid, loadSweepFile, variantsOf } = await import('../dag/sweep-spec.ts');
  const fromFile = values.file ? await loadSweepFile(values.file as string) : { set: [] as string[], axes: [], profile: undefined };
  const spec = {
    profile: (values.profile as string | undefined) ?? fromFile.profile,
    set: [...fromFile.set, ...((values.set as string[] | undefined) ?? [])],
    axes: [...fromFile.axes, ...((values.grid as string[] | undefined) ?? []).map(axisFromGrid)],
  };
  // validate every variant before running any, so a typo fails in a second, not after an hour
  const { file, cache } = locate(values);
  let p: Pipeline | null = null;
  for (const v of variantsOf(spec)) p = await loadPipeline(file, { profile: spec.profile, set: spec.set, overrides: v.overrides, cacheDir: cache });
  const until = values.until as string | undefined;
  if (until && !p!.stages.has(until)) throw new InputError(`unknown stage '${until}' (stages: ${p!.order.join(', ')})`);
  const metric = (values.metric as string | undefined) ?? 'eval.meanIoU';
  if (!/^[a-z][a-z0-9-]*(\.[A-Za-z0-9_]+)+$/.test(metric)) throw new InputError(`pipeline sweep: --metric must be stage.key (or deeper, stage.key.field), e.g. eval.meanIoU`);
  const jobs = intOption('sweep', 'jobs', values.jobs as string | undefined) ?? 1;
  const workers = intOption('sweep', 'workers', values.workers as string | undefined);
  const seeds = intOption('sweep', 'seeds', values.seeds as string | undefined);
  if (seeds === 0) throw new InputError('pipeline sweep: --seeds must be at least 1');
  // with no axis, the seeds are the variants: the configured pipeline's spread over seeds
  if (!spec.axes.length && (seeds ?? 1) < 2) throw new InputError('pipeline sweep: give at least one --grid stage.param=v1,v2, a --file, or --seeds N (N >= 2)');
  prepareCacheDir(cache);
  const store = new Store(cache);
  io.err(`backend: ${describeSetting(p!.numerics)}`);
  const remote = await openRemote('sweep', values, store, io.err);
  const { runSweep } = await import('../exec/sweep.ts');
  const r = await runSweep(spec, store, { pipelineFile: resolve(file), until, jobs, workers, metric, seeds, log: io.err, tensorboard: tensorboardRoot(values), ...(remote ? { remote } : {}) }).finally(() => remote?.close());
  if (values.json) io.out(JSON.stringify(r));
  else {
    io.out(r.table);
    const total = r.stageRuns + r.stageHits;
    io.out(`\n${r.variants.length} variants in ${formatDuration(r.seconds)}; ${r.stageRuns} of ${total} stage executions computed, ${r.stageHits} served from the cache`);
    io.out(`results: ${r.files.join(', ')}`);
  }
  const failed = r.variants.filter((v) => !v.ok);
  for (const f of failed) io.err(`failed: ${Object.entries(f.labels).map(([k, v]) => `${k}=${v}`).join(' ')}: ${f.error}`);
  return failed.length ? 1 : 0;
}

async function reportCommand(values: Values, io: Io): Promise<number> {
  const { p, store } = await open(values);
  const report = p.stages.get('report');
  if (!report) throw new InputError('pipeline report: the pipeline has no report stage to take the inputs from');
  const plans = await planPipeline(p, store);
  const artifacts: Record<string, string> = {};
  for (const [slot, stage] of Object.entries(report.inputs)) {
    const plan = plans.get(stage)!;
    if (plan.state === 'cached' && plan.manifest) artifacts[slot] = store.artifactDir(stage, plan.manifest.key);
  }
  if (!artifacts.eval) throw new InputError(`pipeline report: eval is not in the cache for profile ${p.profile}; run \`pipeline run --until eval\` first`);
  let sweep: { variant: Record<string, string>; metrics: Record<string, number | null> }[] | undefined;
  if (values.sweep) {
    const file = resolve(values.sweep as string);
    let data: { metric: string; variants: { labels: Record<string, string>; ok: boolean; metrics: Record<string, Record<string, unknown>>; stages: Record<string, string> }[] };
    try {
      data = JSON.parse(await (await import('node:fs/promises')).readFile(file, 'utf8'));
    } catch (err) {
      throw new InputError(`pipeline report: cannot read sweep results ${file}: ${(err as Error).message}`);
    }
    const { metricValue } = await import('../exec/sweep.ts');
    sweep = data.variants.map((v) => {
      const m = metricValue(v.metrics, data.metric);
      return { variant: v.labels, metrics: { [data.metric]: v.ok ? m : null, 'stages run': Object.values(v.stages).filter((x) => x === 'run').length } };
    });
  }
  const { writeReport } = await import('../report/write-report.ts');
  const r = await writeReport({
    artifacts,
    stages: report.inputs,
    cacheRoot: store.root,
    sweep,
    samples: intOption('report', 'samples', values.samples as string | undefined),
    out: resolve((values.out as string | undefined) ?? 'report.html'),
  });
  io.out(`report: ${r.out} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.images} pictures, ${r.stages} stages)`);
  return 0;
}

async function predictCommand(values: Values, positionals: string[], io: Io): Promise<number> {
  if (!positionals.length) throw new InputError('pipeline predict: give one or more images (see pipeline predict --help)');
  const stage = (values.checkpoint as string | undefined) ?? 'retrain';
  if (stage !== 'train' && stage !== 'retrain') throw new InputError(`pipeline predict: --checkpoint must be train or retrain, got '${stage}'`);
  const scales = ((values.scales as string | undefined) ?? '1,0.75,0.5').split(',').map(Number);
  if (scales.some((s) => !(s > 0 && s <= 2))) throw new InputError(`pipeline predict: --scales must be numbers in (0, 2], e.g. 1,0.75,0.5`);
  const images = positionals.map((f) => resolve(f));
  await checkImages('predict', images);
  const { p, store } = await open(values);
  const plan = (await planPipeline(p, store, [...p.ancestors(stage), stage])).get(stage)!;
  if (plan.state !== 'cached' || !plan.manifest) {
    throw new InputError(`pipeline predict: no trained ${stage} model for profile ${p.profile} (${plan.reasons.join('; ')}); run \`pipeline run --until ${stage}\` first`);
  }
  const { predictImages } = await import('./predict-images.ts');
  await predictImages({
    checkpointDir: join(store.artifactDir(stage, plan.manifest.key), CHECKPOINT_DIR),
    images,
    out: resolve((values.out as string | undefined) ?? 'predictions'),
    crf: !values['no-crf'],
    scales,
    log: io.out,
  });
  return 0;
}

async function saliency(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length !== 1) throw new InputError('pipeline saliency: give exactly one image (see pipeline saliency --help)');
  const image = resolve(positionals[0]);
  await checkImages('saliency', [image, ...(values.labels ? [resolve(values.labels as string)] : [])]);
  const stem = basename(image, extname(image));
  const out = resolve((values.out as string | undefined) ?? `saliency-${stem}.png`);
  let spec: unknown = { kind: 'boundary' };
  const detector = values.detector as string | undefined;
  if (detector && /^[a-z][a-z0-9-]*$/.test(detector)) spec = { kind: detector };
  else if (detector) {
    try {
      spec = JSON.parse(detector);
    } catch {
      throw new InputError(`pipeline saliency: --detector must be a detector kind (e.g. isnet) or a JSON detector spec, e.g. '{"kind":"onnx","model":"u2netp"}'`);
    }
  }
  if (detector) {
    const { parseDetectorSpec } = await import('../saliency/registry.ts');
    try {
      spec = parseDetectorSpec(spec);
    } catch (err) {
      throw new InputError(`pipeline saliency: --detector: ${(err as Error).message}`);
    }
  }
  const { saliencyPanel } = await import('./saliency-panel.ts');
  // ISNet is cached where the saliency stages keep it: the cache's data folder
  const modelDir = (spec as { kind?: unknown }).kind === 'isnet' ? join(locate(values).cache, 'data', 'isnet') : undefined;
  for (const line of await saliencyPanel({ image, labels: values.labels ? resolve(values.labels as string) : undefined, out, spec, modelDir })) io.out(line);
  return 0;
}

/** Every image decodes in full (a truncated JPEG is caught here, not halfway through a command). */
async function checkImages(command: string, files: string[]): Promise<void> {
  const missing = files.find((f) => !existsSync(f));
  if (missing) throw new InputError(`pipeline ${command}: ${missing} does not exist`);
  const { decodeRgb } = await import('../data/image-io.ts');
  for (const f of files) {
    try {
      await decodeRgb(f, f);
    } catch (err) {
      throw new InputError(`pipeline ${command}: ${(err as Error).message}`);
    }
  }
}

/** What a finished run ends with: the val mIoU (as a share of the oracle's) and where the report is. */
function headline(outcomes: { stage: string; key: string; manifest: { metrics: Record<string, unknown> } }[], store: Store, runPage: string | null): string[] {
  const miou = (stage: string): number | null => {
    const v = outcomes.find((o) => o.stage === stage)?.manifest.metrics.meanIoU;
    return typeof v === 'number' ? v : null;
  };
  const lines: string[] = [];
  const weak = miou('eval');
  const oracle = miou('eval-oracle');
  const direct = miou('eval-direct');
  if (weak !== null) {
    lines.push(`val mIoU ${formatPercent(weak)}${oracle !== null ? `; the same network on ground-truth cues (oracle): ${formatPercent(oracle)}, so ${formatPercent(weak / oracle)} of full supervision` : ''}`);
  }
  if (direct !== null) lines.push(`without joint training (Algorithm 1 on val, Table 4): ${formatPercent(direct)}`);
  const report = outcomes.find((o) => o.stage === 'report');
  const artifact = report ? join(store.artifactDir('report', report.key), 'report.html') : null;
  // the page with this run's facts (computed or cached, times); the artifact holds results only
  if (runPage) lines.push(`report: ${runPage}`, `  (results only, as the report stage committed it: ${artifact})`);
  else if (artifact) lines.push(`report: ${artifact}`);
  return lines;
}

function id(stage: string): string {
  return stage.replace(/-/g, '_');
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** the commands that may start a tensor backend (doctor measures on it), and so would load a tfjs-node binding */
const COMPUTING = new Set(['run', 'sweep', 'worker', 'predict', 'saliency', 'doctor']);

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const at = rest.indexOf('--pipeline');
    io.out(`${HELP.main}\n\n${await registriesHelp(locate({ pipeline: at < 0 ? undefined : rest[at + 1] }).file)}`);
    return command ? 0 : 2;
  }
  const cmd = commands[command];
  try {
    if (!cmd) throw new InputError(`unknown command '${command}' (commands: ${Object.keys(commands).join(', ')}; see pipeline --help)`);
    const { values, positionals } = parse(command, rest, cmd.options, cmd.positionals ?? false);
    if (typeof values.backend === 'string') {
      if (!(BACKEND_NAMES as readonly string[]).includes(values.backend)) throw new InputError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got '${values.backend}'`);
      // stages read it from the environment, in this process, its workers and its child processes
      process.env[BACKEND_ENV] = values.backend;
    }
    if (typeof values['tf-threads'] === 'string') process.env[THREADS_ENV] = values['tf-threads'];
    if (values.nondeterministic) process.env[NONDETERMINISTIC_ENV] = '1';
    if (values.help) {
      io.out(HELP[command] ?? HELP.main);
      return 0;
    }
    // The backend and TensorFlow settings are in every tensor stage's key: read before any key is
    // made, and the backend pinned, so every process of the run starts that one or fails (never
    // computing other bytes under the keys made here).
    let numerics;
    try {
      numerics = readNumericsSetting();
    } catch (err) {
      throw new InputError((err as Error).message);
    }
    process.env[BACKEND_PIN_ENV] ??= '1';
    process.env[BACKEND_PINNED_ENV] ??= numerics.setting.backend;
    // libtensorflow's start-up INFO lines (CPU features, absl) would come once per training child
    // and cut through the progress board; warnings and errors still show, and 0 brings them all back
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
    if (COMPUTING.has(command) && !['wasm', 'cpu'].includes(process.env[BACKEND_ENV] ?? '')) {
      const { unpatchedBindings } = await import('../native/binding-patches.ts');
      const bad = await unpatchedBindings(PROJECT_ROOT);
      if (bad.length) throw new InputError(bad.join('\n'));
    }
    if (COMPUTING.has(command) || command === 'status') for (const note of numerics.notes) io.err(note);
    if (COMPUTING.has(command)) {
      // whatever starts TensorFlow in this process (a per-item stage's items, predict, a
      // preflight) starts it as a per-item stage's key says: one thread per op, deterministic kernels
      useNumerics(stageNumerics(numerics.setting, true));
    }
    return await cmd.run(values as Values, io, positionals);
  } catch (err) {
    if (err instanceof InputError || err instanceof StageFailedError) {
      io.err(`error: ${err.message}`);
      return err.exitCode;
    }
    // a failure that is not the user's input: one line, and the stack only on request
    const e = err as Error;
    if (process.env.DCSP_DEBUG === '1') io.err(e.stack ?? String(e));
    else io.err(`error: ${e.message?.split('\n')[0] ?? String(e)} (set DCSP_DEBUG=1 for the stack)`);
    return 1;
  }
}

function idleNote(s: IdleStage): string {
  const readers = s.readers.map((r) => `${r.stage}.${r.slot}`).join(', ');
  return `on demand, not in this run: ${readers ? `${readers} does not read it with these params` : 'no stage reads it'}`;
}
