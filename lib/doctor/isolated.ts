// The measurements of lib/doctor/measure.ts, each in a child process (memoised here): a measurement
// that runs the backend out of memory (a wasm heap abort) fails alone, with its reason, instead of
// taking the doctor down. Each child reports how long it took to be ready to compute (node, the
// modules, the backend): that is what every stage of a run pays to start, and the doctor's own
// start is timed the same way. On a GPU machine every child gets the one card a stage process
// would get (its environment), and a training step's child says the card memory it held.
import type { ProcessMemory } from '../gpu/memory.ts';
import { libFile, TSX_LOADER } from '../paths.ts';
import type { MeasureCall, Measurer, Startup } from './estimate.ts';
import type { Failed } from './fit.ts';
import type { MeasureOptions } from './measure.ts';

const CHILD = libFile('doctor/measure-child.ts');

/** The backend a measurement process ran on (the one a run started here would choose). */
export interface MeasuringBackend {
  name: string;
  detail: string;
}

/** The GPU environment a measurement child saw (null: not set). */
export interface ChildGpuEnv {
  CUDA_VISIBLE_DEVICES: string | null;
  TF_FORCE_GPU_ALLOW_GROWTH: string | null;
}

/** What a measurement child writes as its last stdout line. */
export interface ChildReply {
  seconds?: unknown;
  error?: string;
  backend?: MeasuringBackend;
  /** seconds from the child's start to its first measurement */
  ready?: number;
  /** a training step's card memory after its timed steps (asked on a GPU only) */
  memory?: ProcessMemory;
  env?: ChildGpuEnv;
}

export type IsolatedMeasurer = Measurer & {
  backend(): MeasuringBackend | null;
  /** each distinct GPU environment the measurement children saw */
  childEnvs(): ChildGpuEnv[];
  /**
   * Small measurements (no network that could run the backend out of memory) made together in one
   * process, ahead of the estimate asking for them: each process costs a start, which on a busy
   * machine takes longer than they do. A failed batch leaves them to their own processes.
   */
  prefetch(calls: MeasureCall[]): Promise<void>;
};

/** how often a measurement is tried again below a step that did not fit */
const RETRIES = 4;

/**
 * `onMeasure`: each measurement's name and seconds (null: its process failed) as it ends.
 * `runStart`: a command (argv after node) that does what the run does before its first stage
 * (`pipeline status` of the same profile and settings): its wall time is the run's own start.
 * `card`: the environment giving a child one GPU (lib/gpu/plan.ts gpuProcessEnv); with it, a
 * training step's child reads its card memory after the timed steps.
 */
export function isolatedMeasurer(
  opts: MeasureOptions = {},
  onMeasure?: (what: string, seconds: number | null) => void,
  runStart?: string[],
  card?: Record<string, string>,
): IsolatedMeasurer {
  const memo = new Map<string, Promise<unknown>>();
  let backend: MeasuringBackend | null = null;
  const envs = new Map<string, ChildGpuEnv>();
  const saw = (reply: ChildReply) => {
    if (reply.env) envs.set(JSON.stringify(reply.env), reply.env);
  };
  const starts: number[] = [];
  let thread: Promise<number> | null = null;
  let run: Promise<number | undefined> | null = null;
  const what = (method: string, args: unknown[]) =>
    method === 'batch'
      ? `${(args[0] as MeasureCall[]).map((c) => c.method).join(', ')} (together in one process)`
      : `${method} ${args.map((a) => JSON.stringify(a)).join(' ')}`;

  /** One process; a step it was timing when it died (out of memory) is added to `failed` and it is run again below that. */
  const attempt = async (method: keyof Measurer | 'batch', args: unknown[], failed: Record<string, Failed>): Promise<ChildReply | null> => {
    const { execa } = await import('execa');
    const t0 = performance.now();
    const request = { method, args, options: { ...opts, failed }, ...(card ? { memory: true } : {}) };
    const r = await execa(process.execPath, ['--import', TSX_LOADER, CHILD, JSON.stringify(request)], { reject: false, env: card ?? {} });
    const lines = String(r.stdout)
      .trim()
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as ChildReply & { attempt?: { key: string; side: number; batch: number } }];
        } catch {
          return [];
        }
      });
    const last = lines[lines.length - 1];
    // the step being timed when the process died, or threw (a backend out of memory does either)
    const tried = last?.attempt ?? (last?.error !== undefined ? [...lines].reverse().find((l) => l.attempt)?.attempt : undefined);
    onMeasure?.(what(method, args), last && !tried ? (performance.now() - t0) / 1000 : null);
    if (last && !tried) return last;
    const why = (
      last?.error ??
      String(r.stderr)
        .split('\n')
        .find((l) => /Error|Aborted|memory/.test(l)) ??
      `exit code ${r.exitCode}`
    )
      .trim()
      .slice(0, 120);
    if (!tried) throw new Error(`measurement process failed (${why})`);
    const { key, side, batch } = tried;
    failed[key] = { side, batch, why };
    return null;
  };

  const keyOf = (method: string, args: unknown[]) => JSON.stringify([method, args]);
  const call = <T>(method: keyof Measurer, args: unknown[]): Promise<T> => {
    const key = keyOf(method, args);
    let p = memo.get(key);
    if (!p) {
      p = (async () => {
        const failed: Record<string, Failed> = {};
        let reply: ChildReply | null = null;
        for (let i = 0; i <= RETRIES && !reply; i++) reply = await attempt(method, args, failed);
        if (!reply) throw new Error(`measurement process failed ${RETRIES + 1} times: ${Object.values(failed).pop()?.why}`);
        if (reply.ready !== undefined) starts.push(reply.ready);
        saw(reply);
        if (reply.error !== undefined) throw new Error(reply.error);
        backend = reply.backend ?? backend;
        const value = reply.seconds ?? null;
        // a training step's Timed carries the memory its process held
        return reply.memory && value !== null && typeof value === 'object' ? { ...value, memory: reply.memory } : value;
      })();
      memo.set(key, p);
    }
    return p as Promise<T>;
  };
  return {
    trainStep: (...a) => call('trainStep', a),
    forward: (...a) => call('forward', a),
    saliencyStep: (...a) => call('saliencyStep', a),
    detect: (...a) => call('detect', a),
    crf: (...a) => call('crf', a),
    decode: (...a) => call('decode', a),
    augment: (...a) => call('augment', a),
    checkpoint: (...a) => call('checkpoint', a),
    toyImage: (...a) => call('toyImage', a),
    // a process's start: the median of those seen, as a run's stages meet the machine at all its moments
    startup: async () => {
      thread ??= call<Startup>('startup', []).then((s) => s.thread);
      const t = await thread;
      run ??= runStart ? timeCommand(runStart, onMeasure) : Promise.resolve(undefined);
      const r = await run;
      return { process: median(starts), thread: t, ...(r === undefined ? {} : { run: r }) };
    },
    backend: () => backend,
    childEnvs: () => [...envs.values()],
    prefetch: async (calls) => {
      const todo = calls.filter((c) => !memo.has(keyOf(c.method, c.args)));
      if (!todo.length) return;
      const reply = await attempt('batch', [todo], {}).catch(() => null);
      const each = reply?.error === undefined && Array.isArray(reply?.seconds) ? (reply.seconds as ({ seconds: unknown } | { error: string })[]) : null;
      if (!reply || !each || each.length !== todo.length) return;
      if (reply.ready !== undefined) starts.push(reply.ready);
      saw(reply);
      backend = reply.backend ?? backend;
      todo.forEach((c, i) => {
        const r = each[i];
        const p = 'error' in r ? Promise.reject(new Error(r.error)) : Promise.resolve(r.seconds ?? null);
        // handled when asked for; until then a failure waits here without being reported unhandled
        p.catch(() => undefined);
        memo.set(keyOf(c.method, c.args), p);
      });
    },
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : 0;
};

/** Wall seconds of a command run as the run's own start is (a fresh node); undefined when it failed. */
async function timeCommand(argv: string[], onMeasure?: (what: string, seconds: number | null) => void): Promise<number | undefined> {
  const { execa } = await import('execa');
  const t0 = performance.now();
  const r = await execa(process.execPath, argv, { reject: false });
  const seconds = (performance.now() - t0) / 1000;
  const what = `the run's start: ${argv.slice(1).join(' ')}`;
  onMeasure?.(what, r.exitCode === 0 ? seconds : null);
  return r.exitCode === 0 ? seconds : undefined;
}
