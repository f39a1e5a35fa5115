// The coordinator side of `--executor bullmq`: the executor plans and verifies as it does locally,
// and each stage key it would compute becomes a job on the stages queue. The DAG's fan-in is the
// executor's own wait (a stage is queued once its inputs are committed), so no BullMQ flow is needed.
// Whatever a job's fate, the cache decides: a committed key is the stage's result.
import { QueueEvents, Queue } from 'bullmq';
import { StageFailedError } from '../errors.ts';
import type { RemoteStages, StageExecution, StageRequest } from '../exec/compute-stage.ts';
import { formatDuration } from '../format.ts';
import type { Store } from '../store/store.ts';
import type { ProgressSink } from '../types.ts';
import { Connections, reachRedis, type RedisTarget } from './connection.ts';
import { finished, GPU_STAGE_QUEUE, STAGE_QUEUE, stageJobId, submit, type StageJobData, type StageJobReturn } from './jobs.ts';
import { hostName } from '../exec/lease.ts';
import { progressRelay, type ProgressReport } from './progress-relay.ts';

export class BullmqStages implements RemoteStages {
  private readonly sinks = new Map<string, ReturnType<typeof progressRelay>>();
  private readonly inFlight = new Map<string, Promise<StageExecution>>();
  private readonly me = `${hostName()}/${process.pid}/${Date.now()}`;
  private constructor(
    private readonly queue: Queue,
    private readonly gpuQueue: Queue,
    private readonly events: QueueEvents[],
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly gaveUp: Promise<never>,
  ) {
    for (const e of events) e.on('progress', ({ jobId, data }) => this.sinks.get(jobId)?.report(data as ProgressReport));
  }

  /** Connects (or fails in seconds with why). */
  static async open(target: RedisTarget, store: Store, log: (line: string) => void): Promise<BullmqStages> {
    let giveUp: (why: string) => void = () => undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      giveUp = (why) => reject(new Error(why));
    });
    gaveUp.catch(() => undefined);
    const connections = new Connections(target, 'coordinator', log, giveUp);
    const queue = new Queue(STAGE_QUEUE, { connection: connections.client(), prefix: target.prefix });
    try {
      await reachRedis(target, queue);
    } catch (err) {
      await queue.close().catch(() => undefined);
      connections.close();
      throw err;
    }
    // only once Redis took the first: a refused login is then said once, by reachRedis
    const gpuQueue = new Queue(GPU_STAGE_QUEUE, { connection: connections.client(), prefix: target.prefix });
    const events = [STAGE_QUEUE, GPU_STAGE_QUEUE].map((name) => new QueueEvents(name, { connection: connections.client(), prefix: target.prefix }));
    await Promise.all(events.map((e) => e.waitUntilReady()));
    return new BullmqStages(queue, gpuQueue, events, store, connections, gaveUp);
  }

  async compute(req: StageRequest, io: { log(line: string): void; progress: ProgressSink }): Promise<StageExecution> {
    // variants of one sweep asking for the same key share one wait; the first one's is the 'run'
    const id = `${req.stage}-${req.key}-${req.force}`;
    const same = this.inFlight.get(id);
    if (same !== undefined) {
      io.log(`${req.stage}: queued (key ${req.key.slice(0, 12)}), shared with another variant of this sweep`);
      return { ...(await same), status: 'cached' };
    }
    const once = this.computeOnce(req, io);
    this.inFlight.set(id, once);
    try {
      return await once;
    } finally {
      this.inFlight.delete(id);
    }
  }

  private async computeOnce(req: StageRequest, io: { log(line: string): void; progress: ProgressSink }): Promise<StageExecution> {
    const t0 = performance.now();
    // the module path stays here: a worker runs the stage its own pipeline names
    const { module: _module, ...named } = req;
    const data: StageJobData = { ...named, requestedBy: this.me };
    const id = stageJobId(data, this.me.replace(/[/]/g, '_'));
    const relay = progressRelay(io.progress);
    this.sinks.set(id, relay);
    const committed = async (): Promise<boolean> => !req.force && (await this.store.lookup(req.stage, req.key)) !== null;
    const queue = req.gpu ? this.gpuQueue : this.queue;
    try {
      const job = await submit(queue, 'stage', id, data, committed);
      const joined = job === 'committed' || (job.data as StageJobData).requestedBy !== this.me;
      io.log(`${req.stage}: queued (key ${req.key.slice(0, 12)})${joined ? ', joining the job another coordinator queued' : ''}`);
      const resubmit = async () => ((await committed()) ? ('committed' as const) : submit(queue, 'stage', id, data, committed));
      const end =
        job === 'committed' ? { ok: true as const, value: null } : await Promise.race([finished<StageJobReturn>(queue, job, resubmit, io.log), this.gaveUp]);
      const manifest = await this.store.lookup(req.stage, req.key);
      const seconds = (performance.now() - t0) / 1000;
      if (!end.ok) {
        // a worker may have committed before it died or lost Redis: the commit is the result
        if (manifest) return { status: joined ? 'cached' : 'run', manifest, seconds };
        throw new StageFailedError(req.stage, end.reason);
      }
      if (!manifest)
        throw new StageFailedError(
          req.stage,
          `a worker reported key ${req.key.slice(0, 12)} done, but it is not in the cache at ${this.store.root}: do the workers mount the same cache?`,
        );
      const r = end.value;
      // a computation is this coordinator's 'run' only if it asked for it (a joined job is shared)
      const status = joined || r?.status === 'cached' ? 'cached' : 'run';
      if (r?.status === 'run') {
        const items = r.items ? `, ${r.items.computed}/${r.items.items} items computed` : '';
        io.log(`${req.stage}: done in ${formatDuration(r.seconds)} on ${r.worker}${r.gpu ? `, GPU ${r.gpu}` : ''}${items}`);
      }
      return { status, manifest, seconds, items: r?.items };
    } finally {
      this.sinks.delete(id);
      relay.end();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.events.map((e) => e.close().catch(() => undefined)));
    await Promise.all([this.queue, this.gpuQueue].map((q) => q.close().catch(() => undefined)));
    this.connections.close();
  }
}
