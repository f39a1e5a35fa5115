// Watching a micro training from outside, through the CLI: `pipeline status` from a second process
// while train runs (running, its iteration, an ETA), after a SIGKILL of the run's process group
// (abandoned: the lock of a dead process), and --watch; then the resumed run, and its curve as the
// scalars file and TensorBoard's own reader see it: one value per step, no step twice, the killed
// run's steps after its last checkpoint dropped, the values equal at float32.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScalars } from '../../lib/watch/event-log.ts';
import { runLogName } from '../../lib/watch/events-dir.ts';
import { readWithTensorBoard, tensorboardMissing } from '../watch/tensorboard.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/pipeline.mjs');
const cache = mkdtempSync(join(tmpdir(), 'dcsp-watch-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const ITERATIONS = 120;
const EVERY = 40;
const SETS = [`train.iterations=${ITERATIONS}`, `train.checkpointEvery=${EVERY}`];
const ARGS = ['--profile', 'micro', '--cache', cache, ...SETS.flatMap((s) => ['--set', s])];
const logDir = join(cache, 'tensorboard', runLogName('micro', SETS), 'train');
const TRAIN_LINE = /^ {2}train +(\S+) +([0-9a-f]{12}) {2}(.*)$/m;

interface StatusStage {
  stage: string;
  state: string;
  work?: { state: string; why?: string; progress: { done: number; total: number } | null };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [BIN, ...args, ...ARGS], { cwd: ROOT, reject: false, env: { FORCE_COLOR: '0' } });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const lossSteps = (): number[] =>
  readScalars(logDir)
    .filter((l) => l.tag === 'loss')
    .map((l) => l.step);

describe('watching a micro training (status, kill, resume, TensorBoard)', () => {
  let running = '';
  let abandoned = '';
  let abandonedJson: StatusStage | undefined;
  let watchFrames: string[] = [];
  let killedAt = 0;
  let stepsBeforeResume: number[] = [];
  let resumedFrom = -1;
  let resume: { code: number; stderr: string };

  beforeAll(async () => {
    const run = spawn(process.execPath, [BIN, 'run', '--until', 'train', ...ARGS], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let exited = false;
    const exit = new Promise<void>((r) =>
      run.on('exit', () => {
        exited = true;
        r();
      }),
    );
    let trainStarted = false;
    const tail: string[] = [];
    createInterface({ input: run.stderr! }).on('line', (l) => {
      tail.push(l);
      if (/^train: running/.test(l)) trainStarted = true;
    });
    while (!trainStarted && !exited) await sleep(200);
    if (exited) throw new Error(`the run ended before train started: ${tail.slice(-20).join('\n')}`);
    // a second process asks while the training goes on
    while (!exited) {
      const st = await cli(['status']);
      const m = TRAIN_LINE.exec(st.stdout);
      if (m && m[1] === 'running' && /iterations \d+\/\d+ .*ETA/.test(m[3])) {
        running = m[0];
        break;
      }
      await sleep(300);
    }
    // killed between two checkpoints, so the killed run logged steps its resumption will redo
    while (!exited) {
      const last = Math.max(0, ...lossSteps());
      if (last > EVERY && last % EVERY >= 3 && last % EVERY <= EVERY - 5) break;
      await sleep(100);
    }
    if (exited) throw new Error(`the run ended before it could be killed mid-training: ${tail.slice(-20).join('\n')}`);
    process.kill(-run.pid!, 'SIGKILL');
    await exit;
    stepsBeforeResume = lossSteps();
    killedAt = Math.max(...stepsBeforeResume);

    const st = await cli(['status']);
    abandoned = TRAIN_LINE.exec(st.stdout)?.[0] ?? st.stdout;
    const json = JSON.parse((await cli(['status', '--json'])).stdout) as { stages: StatusStage[] };
    abandonedJson = json.stages.find((s) => s.stage === 'train');
    watchFrames = await watchTwoFrames();

    const r = await cli(['run', '--until', 'train', '--json']);
    resume = r;
    const outcomes = (JSON.parse(r.stdout || '{"outcomes":[]}') as { outcomes: { stage: string; status: string; metrics: { resumedFrom?: number } }[] })
      .outcomes;
    resumedFrom = outcomes.find((o) => o.stage === 'train')?.metrics.resumedFrom ?? -1;
    console.log(`status while training:\n${running}\nafter the kill at step ${killedAt}:\n${abandoned}\nresumed from ${resumedFrom}`);
  }, 900_000);

  it('status from a second process shows the training running, with its iteration, rate, ETA and who runs it', () => {
    expect(running).toMatch(
      new RegExp(
        `^  train +running +[0-9a-f]{12}  deeplab-lite-os4 seg iterations \\d+/${ITERATIONS} \\(\\d+%\\), [\\d.]+/s, ETA \\S+; pid \\d+ on \\S+ since \\d\\d:\\d\\d:\\d\\d \\(\\S+\\); loss [\\d.]+`,
      ),
    );
  });

  it("after a SIGKILL of the run, status shows the stage abandoned (a dead process's lock), not running", () => {
    expect(abandoned).toMatch(
      new RegExp(
        `^  train +abandoned +[0-9a-f]{12}  lock of pid \\d+ on \\S+, which is gone; it stopped at deeplab-lite-os4 seg iterations (\\d+)/${ITERATIONS} `,
      ),
    );
    expect(abandoned).not.toMatch(/running/);
    expect(abandonedJson?.state).toBe('abandoned');
    expect(abandonedJson?.work?.progress?.total).toBe(ITERATIONS);
    // progress is recorded every 2 s: the last record is at most that much behind the last step
    expect(abandonedJson?.work?.progress?.done).toBeGreaterThan(0);
    expect(abandonedJson?.work?.progress?.done).toBeLessThanOrEqual(killedAt);
  });

  it('status --watch redraws (here as frames one after another)', () => {
    expect(watchFrames.length).toBeGreaterThanOrEqual(2);
    for (const f of watchFrames) {
      expect(f).toMatch(/^-- status at \d\d:\d\d:\d\d, every 1 s/);
      expect(f).toMatch(/\n {2}train +abandoned /);
    }
  });

  it('the resumed run continues from the last checkpoint, and the scalars file has every step once', () => {
    expect(resume.code, resume.stderr.slice(-2000)).toBe(0);
    expect(resumedFrom % EVERY).toBe(0);
    expect(resumedFrom).toBeGreaterThan(0);
    // the killed run had logged past that checkpoint: those steps were redone, not repeated
    expect(killedAt).toBeGreaterThan(resumedFrom);
    expect(stepsBeforeResume).toEqual(Array.from({ length: killedAt }, (_, i) => i + 1));
    expect(lossSteps()).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    const tags = new Set(readScalars(logDir).map((l) => l.tag));
    for (const t of ['loss/l_s', 'loss/l_c', 'lr', 'lr/x1', 'lr/x10', 'lr/x20', 'speed/it_per_s', 'val/mIoU', 'metrics/finalLoss'])
      expect(tags.has(t), t).toBe(true);
  });

  it.skipIf(tensorboardMissing !== null)("TensorBoard's reader sees loss once per step, steps increasing, values equal to the scalars file at float32", () => {
    const tb = readWithTensorBoard(logDir);
    const loss = tb.scalars.loss;
    expect(loss.map(([s]) => s)).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    expect(loss).toEqual(
      readScalars(logDir)
        .filter((l) => l.tag === 'loss')
        .map((l) => [l.step, Math.fround(l.value)]),
    );
    // two sessions: the killed one (its orphans still on disk) and the resumed one, opening with START
    expect(tb.files).toHaveLength(2);
    const orphans = tb.files[0].events.filter((e) => e.tags?.includes('loss') && e.step > resumedFrom);
    expect(orphans.length).toBe(killedAt - resumedFrom);
    expect(tb.files[1].events[1]).toEqual({ step: resumedFrom + 1, what: 'session_log', status: 1 });
    // the checkpoint probe: val mIoU at every checkpoint
    expect(tb.scalars['val/mIoU'].map(([s]) => s)).toEqual(Array.from({ length: ITERATIONS / EVERY }, (_, i) => (i + 1) * EVERY));
    expect(tb.texts.metrics?.[0]?.[1]).toContain('| resumedFrom |');
  });

  it('logging changes no byte: train recomputed with --no-tensorboard commits the same content, and writes no log', async () => {
    const committed = (): string => {
      const k = readdirSync(join(cache, 'train')).find((e) => /^[0-9a-f]{64}$/.test(e))!;
      return (JSON.parse(readFileSync(join(cache, 'train', k, 'manifest.json'), 'utf8')) as { contentHash: string }).contentHash;
    };
    const logged = committed();
    const files = readdirSync(logDir).sort();
    const scalars = readFileSync(join(logDir, 'scalars.jsonl'), 'utf8');
    const r = await cli(['run', '--until', 'train', '--force', 'train', '--no-tensorboard', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    // with the checkpoint probes and without, resumed and uninterrupted: one set of bytes
    expect(committed()).toBe(logged);
    expect(readdirSync(logDir).sort()).toEqual(files);
    expect(readFileSync(join(logDir, 'scalars.jsonl'), 'utf8')).toBe(scalars);
  });

  it('every stage that ran wrote its metrics beside (cues, attention), none inside an artifact', () => {
    const root = join(cache, 'tensorboard', runLogName('micro', SETS));
    expect(readdirSync(root).sort()).toEqual(['attention', 'cues', 'dataset', 'erase-s2', 'erase-s3', 'fcan-pretrain', 'saliency-s1', 'train']);
    expect(readScalars(join(root, 'cues')).some((l) => l.tag === 'metrics/quality/meanIoU')).toBe(true);
    expect(readScalars(join(root, 'fcan-pretrain')).some((l) => l.tag === 'val/mAP')).toBe(true);
    const trainKeys = readdirSync(join(cache, 'train')).filter((e) => /^[0-9a-f]{64}$/.test(e));
    expect(trainKeys).toHaveLength(1);
    expect(existsSync(join(cache, 'train', trainKeys[0], 'out'))).toBe(false);
    expect(readdirSync(join(cache, 'train', trainKeys[0])).some((f) => f.includes('tfevents') || f === 'scalars.jsonl' || f === 'progress.json')).toBe(false);
  });
});

/** `status --watch --interval 1` until it has drawn two frames, then stopped. */
async function watchTwoFrames(): Promise<string[]> {
  const child = spawn(process.execPath, [BIN, 'status', '--watch', '--interval', '1', ...ARGS], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  const deadline = Date.now() + 60_000;
  while (text.split(/^-- /m).length < 4 && Date.now() < deadline) await sleep(200);
  child.kill('SIGTERM');
  // the first two whole frames
  return text
    .split(/^(?=-- status at)/m)
    .filter((f) => f.startsWith('-- '))
    .slice(0, 2);
}
