// A stage's curves on disk, as run facts: one folder per run name and stage (events-dir.ts) holding
// TensorBoard event files and `scalars.jsonl` (one line per value: stage, step, tag, value, time in
// seconds), the same numbers in both. Nothing here is artifact content or part of a key.
//
// Each process that logs for a stage is a session: its own event file, created at its first record,
// named so that it sorts after every earlier one (TensorBoard reads a folder's files in name order).
// A session's restart step (its first, unless it names one) follows TensorBoard's convention for a
// resumed training: the file opens with a SessionLog START at that step, so TensorBoard's readers
// drop what earlier sessions logged at or after it (the steps a killed run did after its last
// checkpoint; the newer data server drops them as the steps go back), and the scalars file is
// rewritten to keep only the earlier steps, as TensorBoard does. A session that keeps nothing of
// the earlier ones (a fresh computation) removes their event files too.
//
// Writes are synchronous and small (one write per step), so a SIGKILL leaves whole records behind,
// and a writing failure (disk full) is reported once and stops the logging, never the stage.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hostName } from '../exec/lease.ts';
import type { ScalarSink } from '../scalar-sink.ts';
import { replaceFileSync } from '../store/whole-file.ts';
import { fileVersionEvent, scalarsEvent, sessionStartEvent, textEvent, tfRecord } from './tf-event.ts';

export const SCALARS_FILE = 'scalars.jsonl';
const EVENT_FILE_RE = /^events\.out\.tfevents\.(\d{10})\./;

/** One line of the scalars file. */
export interface ScalarLine {
  stage: string;
  step: number;
  tag: string;
  value: number;
  /** seconds since the epoch (TensorBoard's wall_time) */
  time: number;
}

export class EventLog implements ScalarSink {
  private events: number | null = null;
  private lines: number | null = null;
  private failed = false;

  constructor(
    readonly dir: string,
    readonly stage: string,
    private readonly warn: (line: string) => void = () => undefined,
  ) {}

  restart(step: number): void {
    this.guard(() => this.begin(step, Date.now() / 1000));
  }

  scalars(step: number, values: Readonly<Record<string, number>>): void {
    const finite = Object.entries(values).filter(([, v]) => Number.isFinite(v));
    if (!finite.length) return;
    this.guard(() => {
      const time = Date.now() / 1000;
      this.begin(step, time);
      writeSync(this.events!, tfRecord(scalarsEvent(time, step, finite)));
      const text = finite.map(([tag, value]) => JSON.stringify({ stage: this.stage, step, tag, value, time } satisfies ScalarLine)).join('\n');
      writeSync(this.lines!, `${text}\n`);
    });
  }

  text(step: number, tag: string, markdown: string): void {
    this.guard(() => {
      const time = Date.now() / 1000;
      this.begin(step, time);
      writeSync(this.events!, tfRecord(textEvent(time, step, tag, markdown)));
    });
  }

  close(): void {
    for (const fd of [this.events, this.lines]) if (fd !== null) closeSync(fd);
    this.events = this.lines = null;
  }

  private guard(write: () => void): void {
    if (this.failed) return;
    try {
      write();
    } catch (err) {
      this.failed = true;
      this.warn(`${this.stage}: TensorBoard logging stopped (the stage goes on): ${(err as Error).message}`);
    }
  }

  /** The session's start: at restart(), else at its first record. */
  private begin(step: number, time: number): void {
    if (this.events !== null) return;
    mkdirSync(this.dir, { recursive: true });
    const kept = keepBefore(join(this.dir, SCALARS_FILE), step);
    const earlier = readdirSync(this.dir)
      .filter((f) => EVENT_FILE_RE.test(f))
      .sort();
    if (kept === 0) for (const f of earlier) rmSync(join(this.dir, f), { force: true });
    // fixed-width seconds sort as numbers do; a later session of the same second takes the next one
    const last = earlier.length ? Number(EVENT_FILE_RE.exec(earlier[earlier.length - 1])![1]) : 0;
    const seconds = Math.max(Math.floor(time), last + 1);
    const name = `events.out.tfevents.${String(seconds).padStart(10, '0')}.${hostName().replace(/[^A-Za-z0-9.-]/g, '_')}.${process.pid}`;
    this.events = openSync(join(this.dir, name), 'a');
    writeSync(this.events, Buffer.concat([tfRecord(fileVersionEvent(time)), tfRecord(sessionStartEvent(time, step))]));
    this.lines = openSync(join(this.dir, SCALARS_FILE), 'a');
  }
}

/** Keeps the lines of the scalars file before `step` (and drops a torn last line); how many are left. */
function keepBefore(file: string, step: number): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const all = text.split('\n').filter((l) => l.trim());
  const kept = all.filter((l) => {
    try {
      return (JSON.parse(l) as ScalarLine).step < step;
    } catch {
      return false;
    }
  });
  if (kept.length !== all.length) replaceFileSync(file, kept.length ? `${kept.join('\n')}\n` : '');
  return kept.length;
}

/** The scalars file of a stage's log folder, parsed (torn or foreign lines skipped). */
export function readScalars(dir: string): ScalarLine[] {
  let text: string;
  try {
    text = readFileSync(join(dir, SCALARS_FILE), 'utf8');
  } catch {
    return [];
  }
  const out: ScalarLine[] = [];
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    try {
      const x = JSON.parse(l) as ScalarLine;
      if (typeof x.step === 'number' && typeof x.tag === 'string' && typeof x.value === 'number') out.push(x);
    } catch {
      // a torn line of a killed writer
    }
  }
  return out;
}
