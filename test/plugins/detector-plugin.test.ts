// A detector registered from one file of the project (test/fixtures/detector-plugin/colour-contrast.ts,
// named under `plugins:` in its pipeline file, never in lib/saliency/detectors/list.ts): --help lists
// it, --set saliency-s1.detector selects it, S1-S3 run with it through the CLI and store exactly
// what it computes, and its code is part of the saliency stages' keys.
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataset } from '../../lib/layouts/dataset.ts';
import { SALIENCY } from '../../lib/layouts/saliency.ts';
import { hierarchicalSaliency, toUint8 } from '../../lib/saliency/index.ts';
import { Artifact } from '../../lib/store/artifact.ts';
import { colourContrastDetector } from '../fixtures/detector-plugin/colour-contrast.ts';
import { params as erase2 } from '../../stages/erase-s2.ts';
import { params as erase3 } from '../../stages/erase-s3.ts';
// erase-s2's and erase-s3's thresholds, as their declarations default them
const DCSP_ERASE = [erase2.parse({}).threshold, erase3.parse({}).threshold];

const ROOT = resolve(import.meta.dirname, '../..');
// the same depth as the fixture, so its relative imports of lib/ and stages/ resolve
const DIR = join(ROOT, 'test/.tmp', `detector-plugin-${process.pid}`);
const PIPELINE = join(DIR, 'pipeline.yaml');
const CACHE = join(DIR, 'cache');
const PICK = ['--set', 'saliency-s1.detector=colour-contrast', '--set', 'saliency-s1.options={power: 2}'];

async function cli(args: string[], pipeline = PIPELINE): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--pipeline', pipeline, '--cache', CACHE], {
    cwd: DIR,
    env: { DCSP_BACKEND: 'wasm', FORCE_COLOR: '0' },
    reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface StageStatus {
  stage: string;
  state: string;
  key: string | null;
  reasons: string[];
}
async function status(set: string[] = PICK): Promise<Record<string, StageStatus>> {
  const r = await cli(['status', '--json', ...set]);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as { stages: StageStatus[] }).stages.map((s) => [s.stage, s]));
}

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/detector-plugin'), DIR, { recursive: true });
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('a detector from a plugin file', () => {
  it('is listed by --help with the pipeline file that names it, and only then', async () => {
    const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), '--help', '--pipeline', PIPELINE], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toMatch(/^ {2}colour-contrast +test fixture: colour distance from the image mean/m);
    expect(String(r.stdout)).toMatch(/^ {2}boundary +built-in/m);
    const plain = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), '--help'], { cwd: ROOT, reject: false });
    expect(String(plain.stdout)).toMatch(/^ {2}isnet +/m);
    expect(String(plain.stdout)).not.toContain('colour-contrast');
  }, 60_000);

  it('an unknown detector is bad input naming the key and every known detector', async () => {
    const r = await cli(['status', '--set', 'saliency-s1.detector=colour-contrats']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("saliency-s1.detector: unknown detector 'colour-contrats' (detectors: boundary, onnx, tfjs, dhsnet, isnet, colour-contrast)");
    // the plugin's own schema checks its options
    const bad = await cli(['status', '--set', 'saliency-s1.detector=colour-contrast', '--set', 'saliency-s1.options={power: -1}']);
    expect(bad.code).toBe(2);
  }, 60_000);

  it('runs S1, S2 and S3, which hold exactly what the detector computes', async () => {
    const r = await cli(['run', '--until', 'erase-s3', '--json', ...PICK]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const outcomes = (JSON.parse(r.stdout) as { outcomes: { stage: string; key: string; status: string }[] }).outcomes;
    expect(outcomes.map((o) => [o.stage, o.status])).toEqual([
      ['dataset', 'run'],
      ['saliency-s1', 'run'],
      ['erase-s2', 'run'],
      ['erase-s3', 'run'],
    ]);
    const art = (stage: string) => Artifact.open(join(CACHE, stage, outcomes.find((o) => o.stage === stage)!.key));
    const passes = await Promise.all(['saliency-s1', 'erase-s2', 'erase-s3'].map(art));
    const dataset = await Dataset.open(await art('dataset'));
    for (const p of passes) {
      expect(JSON.parse(readFileSync(join(p.dir, 'detector.json'), 'utf8'))).toEqual({ kind: 'colour-contrast', power: 2 });
      expect(JSON.parse(readFileSync(join(p.dir, 'detector-code.json'), 'utf8')).detector).toBe('colour-contrast');
    }
    const detector = await colourContrastDetector.create({ kind: 'colour-contrast', power: 2 }, {});
    const fill = dataset.meanRgb.map(Math.round) as [number, number, number];
    let erasingChanged = 0;
    const ids = dataset.ids('train');
    expect(ids).toHaveLength(6);
    for (const id of ids) {
      const expected = await hierarchicalSaliency(detector, await dataset.readImage(id), { fill, thresholds: DCSP_ERASE });
      for (let k = 0; k < 3; k++) {
        const stored = await SALIENCY.readMap(passes[k], id);
        expect(Buffer.from(stored.data).equals(Buffer.from(toUint8(expected.s[k]).data)), `${id} S${k + 1}`).toBe(true);
      }
      if (!Buffer.from((await SALIENCY.readMap(passes[1], id)).data).equals(Buffer.from((await SALIENCY.readMap(passes[0], id)).data))) erasingChanged++;
    }
    // the comparison is not vacuous: erasing found more on some images
    expect(erasingChanged).toBeGreaterThan(0);
  }, 300_000);

  it('its code is in the keys: editing the plugin file makes S1-S3 stale, the dataset stays cached', async () => {
    const before = await status();
    expect(Object.values(before).map((s) => s.state)).toEqual(['cached', 'cached', 'cached', 'cached']);
    // another detector is another key
    expect((await status(['--set', 'saliency-s1.detector=boundary']))['saliency-s1'].state).toBe('stale');
    appendFileSync(join(DIR, 'colour-contrast.ts'), '\n// an edit: the same computation, other code\n');
    const after = await status();
    expect(after.dataset.state).toBe('cached');
    expect(after['saliency-s1'].state).toBe('stale');
    expect(after['saliency-s1'].key).not.toBe(before['saliency-s1'].key);
    expect(after['saliency-s1'].reasons.join('; ')).toMatch(/param saliency-s1\.detectorCode changed/);
    // the erase passes follow through S1's content, which records the detector's code
    expect(after['erase-s2'].state).toBe('stale');
    expect(after['erase-s3'].state).toBe('stale');
  }, 120_000);

  it('refuses a plugin path that is absolute or leaves the project folder (exit 2, the entry named)', async () => {
    const yaml = readFileSync(PIPELINE, 'utf8');
    writeFileSync(join(DIR, '..', `outside-${process.pid}.ts`), 'export default {};\n');
    try {
      for (const entry of [`../outside-${process.pid}.ts`, join(DIR, 'colour-contrast.ts'), 'missing.ts']) {
        const file = join(DIR, 'bad.yaml');
        writeFileSync(file, yaml.replace('plugins: [colour-contrast.ts]', `plugins: ['${entry}']`));
        const r = await cli(['status'], file);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: plugins\[0\]/);
      }
    } finally {
      rmSync(join(DIR, '..', `outside-${process.pid}.ts`), { force: true });
    }
  }, 60_000);
});
