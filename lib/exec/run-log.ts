// One JSONL line per stage decision, appended to cache/runs/runs.jsonl: which run, stage, key,
// whether it was cached or ran, and how long it took. Lines are small, so O_APPEND writes from
// concurrent runs do not interleave.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeLine } from './progress.ts';
import type { StagePlace } from './stage-place.ts';

export interface RunLogEntry {
  run: string;
  variant: string;
  stage: string;
  key: string | null;
  status: 'cached' | 'run' | 'failed' | 'skipped';
  seconds: number;
  error?: string;
  /** where a computed stage ran (backend, GPU or CPU, threads, the GPU variables its process saw) */
  place?: StagePlace;
}

export class RunLog {
  readonly runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  constructor(private readonly dir: string) {}

  async append(entry: Omit<RunLogEntry, 'run'>): Promise<void> {
    await this.line(entry);
  }

  /**
   * A line of another kind beside the stage decisions: what a distributed worker did with a job
   * (`event`, no `status`, so readers of the decisions skip it).
   */
  async event(entry: { event: string; stage: string; key: string } & Record<string, unknown>): Promise<void> {
    await this.line(entry);
  }

  private warned = false;

  /**
   * The log records facts about runs, not results: a line that cannot be written (a full disk)
   * costs that line, said once, and never the run or its summary. Readers skip a torn line.
   */
  private async line(entry: object): Promise<void> {
    const file = join(this.dir, 'runs.jsonl');
    try {
      await mkdir(this.dir, { recursive: true });
      await appendFile(file, `${JSON.stringify({ run: this.runId, at: new Date().toISOString(), ...entry })}\n`);
    } catch (err) {
      if (this.warned) return;
      this.warned = true;
      writeLine(`run log: cannot append to ${file} (${(err as Error).message.split('\n')[0]}); this run's decisions are not all recorded there`);
    }
  }
}
