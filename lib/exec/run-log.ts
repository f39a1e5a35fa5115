// One JSONL line per stage decision, appended to cache/runs/runs.jsonl: which run, stage, key,
// whether it was cached or ran, and how long it took. Lines are small, so O_APPEND writes from
// concurrent runs do not interleave.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunLogEntry {
  run: string;
  variant: string;
  stage: string;
  key: string | null;
  status: 'cached' | 'run' | 'failed' | 'skipped';
  seconds: number;
  error?: string;
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

  private async line(entry: object): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(join(this.dir, 'runs.jsonl'), `${JSON.stringify({ run: this.runId, at: new Date().toISOString(), ...entry })}\n`);
  }
}
