// The event writer on its own: CRC32C against its published check value, the scalars file across a
// restart, run names and the folder refusal; then what TensorBoard's own reader makes of the files
// (scalars at float32, the text summary, a restart's orphans purged, a corrupted record refused).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../lib/watch/crc32c.ts';
import { EventLog, readScalars } from '../../lib/watch/event-log.ts';
import { runLogName, stageLogDir } from '../../lib/watch/events-dir.ts';
import { logStageMetrics } from '../../lib/watch/stage-metrics.ts';
import { readWithTensorBoard, tensorboardMissing } from './tensorboard.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-events-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const folder = (): string => join(base, `log${n++}`);

/** a session of `stage` logging a fake loss at steps from..to (restarting at `from`) */
function session(dir: string, from: number, to: number, scale = 1): void {
  const log = new EventLog(dir, 'train');
  log.restart(from);
  for (let t = from; t <= to; t++) log.scalars(t, { loss: scale / t + 0.1, lr: 1e-3 * (1 - t / 100), skipped: Number.NaN });
  log.close();
}

describe('CRC32C', () => {
  it('gives the check value of the Castagnoli polynomial, and TFRecord masking', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    const c = 0xe3069283;
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe((((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0);
  });
});

describe('the scalars file and event files of a stage', () => {
  it('a resumed session drops what the killed one logged from its restart step on', () => {
    const dir = folder();
    session(dir, 1, 15);
    session(dir, 11, 20, 2);
    const loss = readScalars(dir).filter((l) => l.tag === 'loss');
    expect(loss.map((l) => l.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // steps 11..20 are the second session's
    expect(loss[14].value).toBeCloseTo(2 / 15 + 0.1, 12);
    expect(loss[9].value).toBeCloseTo(1 / 10 + 0.1, 12);
    expect(readScalars(dir).some((l) => l.tag === 'skipped')).toBe(false);
    const files = readdirSync(dir)
      .filter((f) => f.includes('tfevents'))
      .sort();
    expect(files).toHaveLength(2);
  });

  it('a fresh session (restart at 1) removes the earlier event files and lines', () => {
    const dir = folder();
    session(dir, 1, 30);
    session(dir, 1, 5, 3);
    expect(readdirSync(dir).filter((f) => f.includes('tfevents'))).toHaveLength(1);
    expect(
      readScalars(dir)
        .filter((l) => l.tag === 'loss')
        .map((l) => l.step),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  it('a torn last line of a killed writer is skipped and dropped at the next restart', () => {
    const dir = folder();
    session(dir, 1, 3);
    writeFileSync(join(dir, 'scalars.jsonl'), `${readFileSync(join(dir, 'scalars.jsonl'), 'utf8')}{"stage":"train","st`);
    expect(readScalars(dir).filter((l) => l.tag === 'loss')).toHaveLength(3);
    session(dir, 4, 5);
    expect(readFileSync(join(dir, 'scalars.jsonl'), 'utf8')).not.toContain('"st\n');
    expect(
      readScalars(dir)
        .filter((l) => l.tag === 'loss')
        .map((l) => l.step),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  it('names a run by its profile and sorted overrides, and refuses a name that leaves the root', () => {
    expect(runLogName('toy', [])).toBe('toy');
    expect(runLogName('toy', ['eval.crf=false', 'cues.gamma=0.3'])).toBe('toy,cues.gamma=0.3,eval.crf=false');
    expect(runLogName('toy', ['cues.saliency=s1 '])).toBe('toy,cues.saliency=s1');
    expect(runLogName('toy', ['dataset.voc.root=/data/VOC 2012'])).toBe('toy,dataset.voc.root=_data_VOC_2012');
    expect(
      runLogName(
        'toy',
        Array.from({ length: 40 }, (_, i) => `train.seed=${i}`),
      ).length,
    ).toBeLessThanOrEqual(120);
    expect(stageLogDir('/c/tensorboard', 'toy,cues.gamma=0.3', 'train')).toBe('/c/tensorboard/toy,cues.gamma=0.3/train');
    for (const bad of ['..', '../etc', 'a/b', '.', '']) expect(() => stageLogDir('/c/tensorboard', bad, 'train'), bad).toThrow(/not one plain path segment/);
  });

  it('a write that fails stops the logging with one warning, not the stage', () => {
    const warnings: string[] = [];
    // a file where the log folder's parent should be: mkdir fails
    writeFileSync(join(base, 'blocker'), '');
    const log = new EventLog(join(base, 'blocker', 'train'), 'train', (l) => warnings.push(l));
    log.scalars(1, { loss: 1 });
    log.scalars(2, { loss: 1 });
    log.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^train: TensorBoard logging stopped \(the stage goes on\): /);
  });
});

describe.skipIf(tensorboardMissing !== null)("TensorBoard's own reader", () => {
  it('reads every scalar back at float32, one value per step, and the metrics table as text', () => {
    const dir = folder();
    // one process: the training's steps, then the stage's metrics at its last step
    const log = new EventLog(dir, 'train');
    for (let t = 1; t <= 50; t++) log.scalars(t, { loss: 1 / t + 0.1, lr: 1e-3 * (1 - t / 100) });
    logStageMetrics(log, 'train', { iterations: 50, finalLoss: 0.1234567, quality: { meanIoU: 0.5, iou: { car: 0.25 } }, model: 'x' });
    log.close();
    const tb = readWithTensorBoard(dir);
    const lines = readScalars(dir);
    for (const tag of ['loss', 'lr', 'metrics/finalLoss', 'metrics/quality/iou/car']) {
      const mine = lines.filter((l) => l.tag === tag).map((l) => [l.step, Math.fround(l.value)]);
      expect(tb.scalars[tag], tag).toEqual(mine);
    }
    expect(tb.scalars.loss.map(([s]) => s)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(tb.texts.metrics).toHaveLength(1);
    expect(tb.texts.metrics[0][0]).toBe(50);
    expect(tb.texts.metrics[0][1]).toContain('| quality.iou.car | 0.25 |');
  });

  it('after a restart keeps the earlier steps of the first file and the rest from the second, as the scalars file does', () => {
    const dir = folder();
    session(dir, 1, 35);
    session(dir, 31, 60, 2);
    const tb = readWithTensorBoard(dir);
    expect(tb.files).toHaveLength(2);
    // the first file really holds the orphans 31..35, and the second opens with SessionLog START at 31
    expect(
      tb.files[0].events
        .filter((e) => e.what === 'summary')
        .map((e) => e.step)
        .slice(-5),
    ).toEqual([31, 32, 33, 34, 35]);
    expect(tb.files[1].events.slice(0, 2)).toEqual([
      { step: 0, what: 'file_version' },
      { step: 31, what: 'session_log', status: 1 },
    ]);
    const steps = tb.scalars.loss.map(([s]) => s);
    expect(steps).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(tb.scalars.loss).toEqual(
      readScalars(dir)
        .filter((l) => l.tag === 'loss')
        .map((l) => [l.step, Math.fround(l.value)]),
    );
  });

  it('checks the CRCs: a record altered on disk is dropped, the ones before it are read', () => {
    const dir = folder();
    session(dir, 1, 5);
    expect(readWithTensorBoard(dir).scalars.loss.map(([s]) => s)).toEqual([1, 2, 3, 4, 5]);
    const file = join(dir, readdirSync(dir).find((f) => f.includes('tfevents'))!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0x40;
    writeFileSync(file, bytes);
    expect(readWithTensorBoard(dir).scalars.loss.map(([s]) => s)).toEqual([1, 2, 3, 4]);
  });
});

describe('the writers and every stage', () => {
  it("no stage's code identity holds a writer of run facts: editing lib/watch re-keys nothing", async () => {
    const { codeFiles } = await import('../../lib/contract/code-hash.ts');
    const { readdirSync: list } = await import('node:fs');
    const root = join(import.meta.dirname, '../..');
    const stages = list(join(root, 'stages')).filter((f) => f.endsWith('.ts'));
    expect(stages.length).toBeGreaterThan(10);
    for (const f of stages) {
      const files = codeFiles(join(root, 'stages', f), root).map((c) => c.path);
      expect(
        files.filter((p) => p.startsWith('lib/watch/') || p === 'lib/scalar-sink.ts'),
        f,
      ).toEqual([]);
    }
    // the trainings do reach the loop that logs, through the sink's interface only
    expect(codeFiles(join(root, 'stages/train.ts'), root).map((c) => c.path)).toContain('lib/model/train-loop.ts');
  });
});
