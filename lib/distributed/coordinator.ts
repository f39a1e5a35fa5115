// The coordinator side of `--executor bullmq`: the executor plans and verifies as it does locally,
// and each stage key it would compute becomes a job on the stages queue. The DAG's fan-in is the
// executor's own wait (a stage is queued once its inputs are committed), so no BullMQ flow is needed.
// Whatever a job's fate, the cache decides: a committed key is the stage's result.
import { relative } from 'node:path';
import { QueueEvents, Queue } from 'bullmq';
import { StageFailedError } from '../errors.ts';
import type { RemoteStages, StageExecution, StageRequest } from '../exec/compute-stage.ts';
import { formatDuration } from '../format.ts';
import { PROJECT_ROOT } from '../paths.ts';
import type { Store } from '../store/store.ts';
import type { ProgressSink } from '../types.ts';
import { Connections, reachRedis, watchConnection, type RedisTarget } from './connection.ts';
import { finished, STAGE_QUEUE, stageJobId, submit, type StageJobData, type StageJobReturn } from './jobs.ts';
import { hostName } from './lease.ts';
import { progressRelay, type ProgressReport } from './progress-relay.ts';

export class BullmqStages implements RemoteStages {
  private readonly sinks = new Map<string, ReturnType<typeof progressRelay>>();
  private readonly me = `${hostName()}/${process.pid}/${Date.now()}`;
  private gaveUp: Promise<never>;
  private stopWatch: () => void = () => undefined;

  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly store: Store,
    private readonly root: string,
    private readonly log: (line: string) => void,
    private readonly connections: Connections,
  ) {
    let giveUp: (why: string) => void = () => undefined;
    this.gaveUp = new Promise<never>((_, reject) => {
      giveUp = (why) => reject(new Error(why));
    });
    this.gaveUp.catch(() => undefined);
    this.stopWatch = watchConnection('coordinator', queue, queue.getBackend().client, log, giveUp);
    events.on('progress', ({ jobId, data }) => this.sinks.get(jobId)?.report(data as ProgressReport));
  }

  /** Connects (or fails in seconds with why); `root` is the pipeline file's folder. */
  static async open(target: RedisTarget, store: Store, root: string, log: (line: string) => void): Promise<BullmqStages> {
    const connections = new Connections(target);
    const queue = new Queue(STAGE_QUEUE, { connection: connections.client(), prefix: target.prefix });
    try {
      await reachRedis(target, queue);
    } catch (err) {
      await queue.close().catch(() => undefined);
      connections.close();
      throw err;
    }
    const events = new QueueEvents(STAGE_QUEUE, { connection: connections.client(), prefix: target.prefix });
    await events.waitUntilReady();
    return new BullmqStages(queue, events, store, root, log, connections);
  }

  async compute(req: StageRequest, io: { log(line: string): void; progress: ProgressSink }): Promise<StageExecution> {
    const t0 = performance.now();
    const data: StageJobData = {
      stage: req.stage,
      key: req.key,
      version: req.version,
      module: relative(PROJECT_ROOT, req.module),
      root: relative(PROJECT_ROOT, this.root),
      params: req.params,
      parts: req.parts,
      inputs: req.inputs,
      force: req.force,
      requestedBy: this.me,
    };
    const id = stageJobId(data, this.me.replace(/[/]/g, '_'));
    const relay = progressRelay(io.progress);
    this.sinks.set(id, relay);
    try {
      const job = await submit(this.queue, 'stage', id, data);
      const joined = (job.data as StageJobData).requestedBy !== this.me;
      io.log(`${req.stage}: queued (key ${req.key.slice(0, 12)})${joined ? ', joining the job another coordinator queued' : ''}`);
      const resubmit = async () => ((await this.store.lookup(req.stage, req.key)) && !req.force ? ('committed' as const) : submit(this.queue, 'stage', id, data));
      const end = await Promise.race([finished<StageJobReturn>(this.queue, job, resubmit, io.log), this.gaveUp]);
      const manifest = await this.store.lookup(req.stage, req.key);
      if (!end.ok) {
        // a worker may have committed before it died or lost Redis: the commit is the result
        if (manifest) return { status: 'cached', manifest, seconds: (performance.now() - t0) / 1000 };
        throw new StageFailedError(req.stage, end.reason);
      }
      if (!manifest) throw new StageFailedError(req.stage, `a worker reported key ${req.key.slice(0, 12)} done, but it is not in the cache at ${this.store.root}: do the workers mount the same cache?`);
      const r = end.value;
      const seconds = (performance.now() - t0) / 1000;
      // the job's own computation is a 'run' of this coordinator only if this coordinator asked for it
      const status = r && r.status === 'run' && !joined ? 'run' : 'cached';
      if (r?.status === 'run') {
        const items = r.items ? `, ${r.items.computed}/${r.items.items} items computed` : '';
        io.log(`${req.stage}: done in ${formatDuration(r.seconds)} on ${r.worker}${items}`);
      }
      return { status, manifest, seconds, items: r?.items };
    } finally {
      this.sinks.delete(id);
      relay.end();
    }
  }

  async close(): Promise<void> {
    this.stopWatch();
    await this.events.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    this.connections.close();
  }
}
