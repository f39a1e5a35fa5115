// How far a stage being computed is, where any process can read it: `<key>.partial/progress.json`,
// rewritten whole (temp file, rename) at most every few seconds by the process that computes the
// stage, beside (never inside) the future artifact's `out/`. It goes when the partial folder does,
// at the commit; a killed run leaves its last state there for `pipeline status`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostName } from '../exec/lease.ts';
import { replaceFileSync } from '../store/whole-file.ts';
import type { ProgressSink } from '../types.ts';

export const PROGRESS_FILE = 'progress.json';
const EVERY_MS = 2000;

export interface ProgressRecord {
  stage: string;
  /** what is being counted: 'items', 'deeplab-lite-os4 seg' (a training's iterations), ... */
  label: string;
  done: number;
  total: number;
  /** units per second since the phase's first tick (a resumed training's jump to its checkpoint excluded); null before a second tick */
  rate: number | null;
  /** extra fields the stage reports (loss, lr) */
  fields: Record<string, number | string>;
  pid: number;
  host: string;
  /** ISO times: when the phase started, and of this record */
  started: string;
  updated: string;
}

/** `inner`, and the same progress recorded in `<partialDir>/progress.json` (a failing write is only skipped). */
export function recordingProgress(inner: ProgressSink, partialDir: string, stage: string): ProgressSink {
  const file = join(partialDir, PROGRESS_FILE);
  let rec: ProgressRecord | null = null;
  let base: { t: number; done: number } | null = null;
  let last = 0;
  const write = (force: boolean): void => {
    const now = Date.now();
    if (!rec || (!force && now - last < EVERY_MS)) return;
    last = now;
    rec.updated = new Date(now).toISOString();
    try {
      replaceFileSync(file, JSON.stringify(rec));
    } catch {
      // progress is a courtesy to watchers: a full disk must not fail the stage over it
    }
  };
  return {
    start(total, label) {
      inner.start(total, label);
      const now = new Date().toISOString();
      rec = { stage, label: label ?? '', done: 0, total, rate: null, fields: {}, pid: process.pid, host: hostName(), started: now, updated: now };
      base = null;
      write(true);
    },
    tick(n = 1, fields) {
      inner.tick(n, fields);
      if (!rec) return;
      rec.done += n;
      if (fields) rec.fields = { ...rec.fields, ...fields };
      const t = Date.now();
      if (!base) base = { t, done: rec.done };
      else if (t > base.t) rec.rate = (rec.done - base.done) / ((t - base.t) / 1000);
      write(false);
    },
    done() {
      inner.done();
      write(true);
    },
  };
}

export async function readProgress(partialDir: string): Promise<ProgressRecord | null> {
  try {
    const r = JSON.parse(await readFile(join(partialDir, PROGRESS_FILE), 'utf8')) as ProgressRecord;
    return typeof r.done === 'number' && typeof r.total === 'number' ? r : null;
  } catch {
    return null;
  }
}

/** Seconds left at the recorded rate, counted from the record's time; null when unknown. */
export function etaSeconds(r: ProgressRecord, now = Date.now()): number | null {
  if (!r.rate || r.rate <= 0 || r.total <= 0) return null;
  const left = (r.total - r.done) / r.rate - (now - Date.parse(r.updated)) / 1000;
  return Math.max(0, left);
}
