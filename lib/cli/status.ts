// `pipeline status [--watch]`: each stage of the profile as cached, stale (and why), running (how
// far, ETA, who, since when) or abandoned (a lock whose process is gone), then any other key being
// computed on the cache (another variant, another profile). --watch redraws it every few seconds.
import type { Pipeline } from '../dag/load.ts';
import { planPipeline } from '../exec/plan.ts';
import type { Store } from '../store/store.ts';
import { workInProgress, type WorkInProgress } from '../watch/in-progress.ts';
import { describeWork } from '../watch/work-line.ts';
import { idleNote } from './format/idle-note.ts';

export interface StatusFrame {
  lines: string[];
  json: object;
}

export async function statusFrame(p: Pipeline, store: Store): Promise<StatusFrame> {
  const plans = [...(await planPipeline(p, store)).values()];
  const now = Date.now();
  const work = await workInProgress(store, now);
  const mine = new Set<WorkInProgress>();
  const workOf = (stage: string, key: string | null): WorkInProgress | undefined => {
    const w = key ? work.find((x) => x.stage === stage && x.key === key) : undefined;
    if (w) mine.add(w);
    return w;
  };
  const lines = [`profile ${p.profile}${p.overrides.length ? ` (${p.overrides.map((o) => o.raw).join(' ')})` : ''}`];
  for (const note of p.notes ?? []) lines.push(`note: ${note}`);
  const stages = plans.map(({ manifest, ...plan }) => {
    const w = plan.state === 'stale' ? workOf(plan.stage, plan.key) : undefined;
    const state = w?.state ?? plan.state;
    const key = plan.key ? plan.key.slice(0, 12) : '?'.repeat(12);
    const nondeterministic = manifest?.nondeterministic ? 'computed with nondeterministic kernels: another computation may give other bytes' : '';
    lines.push(
      `  ${plan.stage.padEnd(16)} ${state.padEnd(9)} ${key}  ${w ? describeWork(w, now) : [...plan.reasons, nondeterministic].filter(Boolean).join('; ')}`.trimEnd(),
    );
    return { ...plan, state, seconds: manifest?.seconds ?? null, ...(w ? { work: w } : {}) };
  });
  for (const s of p.idle) lines.push(`  ${s.name.padEnd(16)} ${'idle'.padEnd(9)} ${'-'.repeat(12)}  ${idleNote(s)}`);
  const elsewhere = work.filter((w) => !mine.has(w));
  if (elsewhere.length) {
    lines.push('also being computed on this cache (other variants or profiles):');
    for (const w of elsewhere) lines.push(`  ${w.stage.padEnd(16)} ${w.state.padEnd(9)} ${w.key.slice(0, 12)}  ${describeWork(w, now)}`);
  }
  return { lines, json: { profile: p.profile, variant: p.variant, stages, idle: p.idle, elsewhere } };
}

/**
 * Frames until interrupted (Ctrl-C ends the process): on a terminal each replaces the last; as
 * lines, each follows the last under a line with its time; as JSON, one frame per line.
 */
export async function watchStatus(render: () => Promise<string>, out: (text: string) => void, seconds: number, mode: 'tty' | 'lines' | 'json'): Promise<never> {
  for (;;) {
    const text = await render();
    const head = `status at ${new Date().toTimeString().slice(0, 8)}, every ${seconds} s (Ctrl-C to stop)`;
    out(mode === 'json' ? text : mode === 'tty' ? `\x1b[H\x1b[2J${head}\n${text}` : `-- ${head}\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}
