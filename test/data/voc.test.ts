// The `voc` source end to end against a local HTTP server serving VOC- and SBD-layout archives built
// from a small toy set: download (with a transfer cut short and resumed), checksums, extraction,
// train_aug arithmetic, labels, and the failure cases.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressSink } from '../../lib/types.ts';
import { ChecksumError, downloadFile } from '../../lib/data/download.ts';
import { UnsafeArchiveError } from '../../lib/data/extract.ts';
import { SplitCountError } from '../../lib/data/id-lists.ts';
import { prepareVoc, type VocOptions } from '../../lib/data/prepare-voc.ts';
import { readVocLayout } from '../../lib/data/voc-layout.ts';
import { readLabelPng } from '../../lib/data/label-png.ts';
import { buildTar, makeSmallToy, removeDir, tempDir, type TarEntry } from './helpers.ts';
import { sbdClsMat } from './mat5-writer.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

let work: string;
let toy: string;
let train: string[];
let val: string[];
let test: string[];
const archives: Record<string, Buffer> = {};
let server: http.Server;
let base: string;
const requests: { path: string; range: string | undefined }[] = [];
const dropOnce = new Set<string>();

// VOC's own segmentation train list covers only part of train_aug; SBD adds the rest, and lists a
// few VOC val ids that train_aug must exclude.
const vocTrain = () => train.slice(0, 12);
const sbdTrain = () => [...train.slice(8, 22), val[0], val[1]];
const sbdVal = () => [...train.slice(20, 30), val[2]];
// SBD's class ground truth exists for these SBD-only ids (the others have none), and for train[8],
// which VOC annotates too (VOC's own PNG must win)
const sbdGtIds = () => train.slice(12, 20);
/** the toy's label map as SBD stores it: no void band (SBD has none), so 255 becomes background */
async function sbdLabels(id: string, fill?: number) {
  const m = await readLabelPng(join(toy, 'SegmentationClass', `${id}.png`), { maxClass: VOC_CLASSES.length - 1 });
  return { ...m, data: m.data.map((v) => fill ?? (v === 255 ? 0 : v)) };
}

async function vocEntries(opts: { omitJpeg?: string; extra?: TarEntry[] } = {}): Promise<TarEntry[]> {
  const p = 'VOCdevkit/VOC2012/';
  const entries: TarEntry[] = [];
  for (const id of [...train, ...val]) {
    if (id !== opts.omitJpeg) entries.push({ name: `${p}JPEGImages/${id}.jpg`, data: await readFile(join(toy, 'JPEGImages', `${id}.jpg`)) });
    entries.push({ name: `${p}Annotations/${id}.xml`, data: await readFile(join(toy, 'Annotations', `${id}.xml`)) });
  }
  for (const id of [...vocTrain(), ...val]) {
    entries.push({ name: `${p}SegmentationClass/${id}.png`, data: await readFile(join(toy, 'SegmentationClass', `${id}.png`)) });
  }
  entries.push(
    { name: `${p}ImageSets/Segmentation/train.txt`, data: `${vocTrain().join('\n')}\n` },
    { name: `${p}ImageSets/Segmentation/val.txt`, data: `${val.join('\n')}\n` },
    { name: `${p}ImageSets/Segmentation/trainval.txt`, data: `${[...vocTrain(), ...val].join('\n')}\n` },
    { name: `${p}ImageSets/Main/train.txt`, data: `${train.join('\n')}\n` },
    ...(opts.extra ?? []),
  );
  return entries;
}

beforeAll(async () => {
  work = await tempDir('dcsp-voc-');
  toy = await makeSmallToy(join(work, 'toy'));
  const list = async (s: string) => (await readFile(join(toy, 'ImageSets/Segmentation', `${s}.txt`), 'utf8')).trim().split('\n');
  [train, val, test] = await Promise.all([list('train'), list('val'), list('test')]);

  archives['/voc.tar'] = await buildTar(await vocEntries());
  const sbd: TarEntry[] = [
    // bulk SBD content first, as in the real archive: it must be streamed past, never written
    ...train.slice(0, 5).map((id) => ({ name: `benchmark_RELEASE/dataset/cls/${id}.mat`, data: Buffer.alloc(3000, 9) })),
    ...(await Promise.all(
      sbdGtIds().map(async (id, i) => ({
        name: `benchmark_RELEASE/dataset/cls/${id}.mat`,
        data: sbdClsMat(await sbdLabels(id), { storage: i % 2 ? 'double' : 'uint8' }),
      })),
    )),
    { name: `benchmark_RELEASE/dataset/cls/${train[8]}.mat`, data: sbdClsMat(await sbdLabels(train[8], 3)) },
    ...train.slice(0, 5).map((id) => ({ name: `benchmark_RELEASE/dataset/img/${id}.jpg`, data: Buffer.alloc(2000, 7) })),
    { name: 'benchmark_RELEASE/dataset/train.txt', data: `${sbdTrain().join('\n')}\n` },
    { name: 'benchmark_RELEASE/dataset/val.txt', data: `${sbdVal().join('\n')}\n` },
    { name: 'benchmark_RELEASE/dataset/inst/x.mat', data: 'x' },
  ];
  archives['/sbd.tgz'] = await buildTar(sbd, true);
  const tampered = Buffer.from(archives['/sbd.tgz']);
  tampered[tampered.length - 30] ^= 0x55;
  archives['/sbd-tampered.tgz'] = tampered;
  const testEntries: TarEntry[] = [];
  for (const id of test) {
    testEntries.push({ name: `VOCdevkit/VOC2012/JPEGImages/${id}.jpg`, data: await readFile(join(toy, 'JPEGImages', `${id}.jpg`)) });
    testEntries.push({ name: `VOCdevkit/VOC2012/Annotations/${id}.xml`, data: await readFile(join(toy, 'Annotations', `${id}.xml`)) });
  }
  testEntries.push({ name: 'VOCdevkit/VOC2012/ImageSets/Segmentation/test.txt', data: `${test.join('\n')}\n` });
  archives['/test.tar'] = await buildTar(testEntries);
  archives['/evil.tar'] = await buildTar(await vocEntries({ extra: [{ name: 'VOCdevkit/VOC2012/../../../evil.txt', data: 'pwned' }] }));
  archives['/voc-missing-jpeg.tar'] = await buildTar(await vocEntries({ omitJpeg: train[25] }));
  for (const [name, buf] of Object.entries(archives)) await writeFile(join(work, name.slice(1)), buf);

  server = http.createServer((req, res) => {
    const path = req.url ?? '';
    requests.push({ path, range: req.headers.range });
    const body = archives[path.replace(/^\/plain/, '')];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    // '/plain/...' serves the same files from a server without Range support
    const m = path.startsWith('/plain/') ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      const start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (dropOnce.delete(path)) {
      // announce the whole body, send part of it, then drop the connection
      // (end the socket gracefully so the bytes sent do arrive: the resume offset is then exact)
      res.write(body.subarray(0, Math.floor(body.length * 0.4)), () => res.socket?.end());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await removeDir(work);
});

const counts = () => ({ train: 30, val: 20, test: 5 });

function httpOptions(dataDir: string, over: Partial<VocOptions> = {}): VocOptions {
  return {
    dataDir,
    sources: {
      voc: { url: `${base}/voc.tar`, md5: md5(archives['/voc.tar']) },
      sbd: { url: `${base}/sbd.tgz`, md5: md5(archives['/sbd.tgz']) },
      test: { url: `${base}/test.tar` },
    },
    expectedCounts: counts(),
    download: { retries: 3, retryDelayMs: 5 },
    ...over,
  };
}

/** local archives, checksums not checked (they are not the real VOC files) */
function localOptions(dataDir: string, over: Partial<VocOptions> = {}): VocOptions {
  return {
    dataDir,
    archives: { voc: join(work, 'voc.tar'), sbd: join(work, 'sbd.tgz') },
    verifyLocalArchives: false,
    expectedCounts: { train: 30, val: 20 },
    ...over,
  };
}

async function nothingPublished(dataDir: string): Promise<void> {
  const names = existsSync(dataDir) ? await readdir(dataDir) : [];
  expect(names.filter((n) => n.startsWith('VOC2012'))).toEqual([]);
}

describe('voc source', () => {
  it('downloads (resuming a dropped transfer), verifies, extracts and builds the splits', async () => {
    const dataDir = join(work, 'data-http');
    dropOnce.add('/voc.tar');
    requests.length = 0;
    const ticks: Record<string, number | string>[] = [];
    const progress: ProgressSink = {
      start() {},
      tick(_n, f) {
        if (f) ticks.push(f);
      },
      done() {},
    };
    const root = await prepareVoc(httpOptions(dataDir, { includeTest: true }), progress);
    expect(root).toBe(join(dataDir, 'VOC2012'));

    // the first GET was cut at 40%; the retry asked for the rest with a Range header
    const vocReqs = requests.filter((r) => r.path === '/voc.tar');
    expect(vocReqs).toHaveLength(2);
    expect(vocReqs[0].range).toBeUndefined();
    expect(vocReqs[1].range).toBe(`bytes=${Math.floor(archives['/voc.tar'].length * 0.4)}-`);
    expect(ticks.some((f) => typeof f['MB/s'] === 'number' && typeof f.eta === 'string')).toBe(true);
    const downloaded = await readdir(join(dataDir, 'downloads'));
    expect(downloaded.sort()).toEqual(['VOC2012test.tar', 'VOCtrainval_11-May-2012.tar', 'benchmark.tgz']);
    expect(md5(await readFile(join(dataDir, 'downloads', 'VOCtrainval_11-May-2012.tar')))).toBe(md5(archives['/voc.tar']));

    // the two SBD lists came out of benchmark.tgz, and its cls/*.mat became SegmentationClassAug PNGs
    // for the train_aug ids VOC does not annotate (nothing else of the archive stays)
    expect((await readdir(join(root, 'ImageSets', 'SBD'))).sort()).toEqual(['train.txt', 'val.txt']);
    expect((await readdir(join(root, 'SegmentationClassAug'))).sort()).toEqual(
      sbdGtIds()
        .map((id) => `${id}.png`)
        .sort(),
    );
    expect(existsSync(join(root, '.sbd'))).toBe(false);
    for (const id of sbdGtIds())
      expect(Buffer.from((await readLabelPng(join(root, 'SegmentationClassAug', `${id}.png`), { maxClass: VOC_CLASSES.length - 1 })).data)).toEqual(
        Buffer.from((await sbdLabels(id)).data),
      );

    const index = await readVocLayout(root, { source: 'voc', expectedCounts: counts() });
    // train_aug = (VOC train ∪ SBD train ∪ SBD val) \ VOC val, in first-seen order
    const union = [...new Set([...vocTrain(), ...sbdTrain(), ...sbdVal()])];
    const expectedTrain = union.filter((id) => !val.includes(id));
    expect(union.length - expectedTrain.length).toBe(3); // the three VOC val ids SBD lists
    expect(index.splits.train).toEqual(expectedTrain);
    expect(new Set(index.splits.train)).toEqual(new Set(train));
    expect(index.splits.val).toEqual(val);
    expect(index.splits.test).toEqual(test);

    // labels from the XML, ground truth where VOC has it (VOC train ids and val), none for the SBD-only ids and test
    const toyIndex = await readVocLayout(toy, { source: 'toy' });
    for (const id of [...train, ...val, ...test]) {
      const img = index.images[id];
      expect(img.labels).toEqual(toyIndex.images[id].labels);
      expect([img.width, img.height]).toEqual([toyIndex.images[id].width, toyIndex.images[id].height]);
      const hasGt = vocTrain().includes(id) || val.includes(id);
      expect(img.gt).toBe(hasGt ? `SegmentationClass/${id}.png` : sbdGtIds().includes(id) ? `SegmentationClassAug/${id}.png` : null);
      expect(img.fg).toBeNull();
    }

    // a second run with the same inputs touches nothing
    requests.length = 0;
    expect(await prepareVoc(httpOptions(dataDir, { includeTest: true }))).toBe(root);
    expect(requests).toHaveLength(0);
  });

  it('rejects a tampered archive, deletes it and publishes nothing', async () => {
    const dataDir = join(work, 'data-tampered');
    const opts = httpOptions(dataDir);
    opts.sources!.sbd = { url: `${base}/sbd-tampered.tgz`, md5: md5(archives['/sbd.tgz']) };
    const err = await prepareVoc(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as Error).message).toMatch(
      new RegExp(`benchmark\\.tgz: expected MD5 ${md5(archives['/sbd.tgz'])}, got ${md5(archives['/sbd-tampered.tgz'])}; the bad file was deleted`),
    );
    expect(existsSync(join(dataDir, 'downloads', 'benchmark.tgz'))).toBe(false);
    expect(existsSync(join(dataDir, 'downloads', 'benchmark.tgz.part'))).toBe(false);
    await nothingPublished(dataDir);
  });

  it('refuses a path-escaping tar entry, naming it, and leaves nothing behind', async () => {
    const dataDir = join(work, 'deep', 'data-evil');
    const err = await prepareVoc(localOptions(dataDir, { archives: { voc: join(work, 'evil.tar'), sbd: join(work, 'sbd.tgz') } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeArchiveError);
    expect((err as Error).message).toContain("refusing archive entry 'VOCdevkit/VOC2012/../../../evil.txt': path escapes the target folder");
    await nothingPublished(dataDir);
    for (const d of [work, join(work, 'deep'), dataDir]) expect(existsSync(join(d, 'evil.txt'))).toBe(false);
  });

  it('reports split count mismatches by id', async () => {
    // a count only: the numbers, and that a reference list would name the ids
    await expect(prepareVoc(localOptions(join(work, 'c1'), { expectedCounts: { train: 31, val: 20 } }))).rejects.toThrow(
      /train_aug: 30 ids, expected 31 \(1 missing\)/,
    );
    // the real VOC counts are the default
    await expect(prepareVoc(localOptions(join(work, 'c2'), { expectedCounts: undefined }))).rejects.toThrow(/train_aug: 30 ids, expected 10582/);
    // a reference id list: missing and extra ids named
    const reference = [...train.slice(1), 'bogus_000001'];
    const err = await prepareVoc(localOptions(join(work, 'c3'), { expectedCounts: { train: reference, val: 20 } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SplitCountError);
    expect((err as Error).message).toMatch(/missing 1: bogus_000001; extra 1: train_000001/);
    // an id from the SBD lists whose image is not in JPEGImages
    await expect(
      prepareVoc(localOptions(join(work, 'c4'), { archives: { voc: join(work, 'voc-missing-jpeg.tar'), sbd: join(work, 'sbd.tgz') } })),
    ).rejects.toThrow(
      new RegExp(`train_aug: 29 ids, expected 30 \\(1 missing\\); 1 id\\(s\\) from the VOC/SBD lists have no JPEGImages/<id>\\.jpg: ${train[25]}`),
    );
    for (const d of ['c1', 'c2', 'c3', 'c4']) await nothingPublished(join(work, d));
  });

  it('uses folders the user already has, without writing into them', async () => {
    const sbdDir = join(work, 'my-sbd', 'benchmark_RELEASE');
    await mkdir(join(sbdDir, 'dataset'), { recursive: true });
    await writeFile(join(sbdDir, 'dataset', 'train.txt'), sbdTrain().join('\n'));
    await writeFile(join(sbdDir, 'dataset', 'val.txt'), sbdVal().join('\n'));
    const before = (await readdir(join(toy, 'ImageSets', 'Segmentation'))).sort();
    requests.length = 0;
    const root = await prepareVoc({ dataDir: join(work, 'data-local'), root: toy, sbdDir, expectedCounts: { train: 30, val: 20 } });
    expect(requests).toHaveLength(0);
    expect((await readdir(join(toy, 'ImageSets', 'Segmentation'))).sort()).toEqual(before);
    const index = await readVocLayout(root, { source: 'voc', expectedCounts: { train: 30, val: 20, test: 5 } });
    expect(new Set(index.splits.train)).toEqual(new Set(train));
    // the toy folder has ground truth and foreground masks for every image, reached through the links
    expect(index.images[train[29]].gt).toBe(`SegmentationClass/${train[29]}.png`);
    expect(index.images[train[29]].fg).toBe(`ForegroundMasks/${train[29]}.png`);
  });

  it('starts over when the server ignores Range, and still verifies', async () => {
    dropOnce.add('/plain/sbd.tgz');
    requests.length = 0;
    const dest = join(work, 'dl', 'plain-sbd.tgz');
    await downloadFile({ url: `${base}/plain/sbd.tgz`, dest, md5: md5(archives['/sbd.tgz']), retryDelayMs: 5 });
    expect(requests.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(md5(await readFile(dest))).toBe(md5(archives['/sbd.tgz']));
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('gives up at once on a missing URL and names it', async () => {
    await expect(downloadFile({ url: `${base}/nope.tar`, dest: join(work, 'dl', 'nope.tar'), retryDelayMs: 5 })).rejects.toThrow(
      /nope\.tar failed after 1 attempt\(s\): GET .*nope\.tar answered HTTP 404/,
    );
  });
});
