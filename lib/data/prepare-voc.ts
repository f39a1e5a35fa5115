// PASCAL VOC 2012 + SBD: fetch (or take the user's archives or folders), verify, extract, and build
// the DCSP splits: train_aug = (VOC train ∪ SBD train ∪ SBD val) \ VOC val (10,582 ids), val (1,449),
// test (1,456, only when the test archive is given). SBD's class ground truth (cls/<id>.mat) becomes
// SegmentationClassAug/<id>.png for every train_aug image VOC has no SegmentationClass PNG for, so
// each train image has ground truth (the oracle trains on it). The result is one folder in the VOC
// layout:
//   <dataDir>/VOC2012/{JPEGImages,Annotations,SegmentationClass,SegmentationClassAug,...,ImageSets/Segmentation/train_aug.txt}
// that readVocLayout reads like the toy set.

import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ProgressSink } from '../types.ts';
import { silentProgress } from '../types.ts';
import type { SplitName } from './dataset-index.ts';
import { downloadFile, md5File } from './download.ts';
import { withMirror } from './mirrors.ts';
import { commitStagingDir, extractInto, makeStagingDir } from './extract.ts';
import { checkSplit, difference, formatIds, readIdList, union, writeIdList, type ExpectedIds } from './id-lists.ts';
import { mapLimit } from './concurrency.ts';
import { encodeGrayPng } from './label-png.ts';
import { readSbdLabelMap, SBD_GT_DIR } from './sbd-gt.ts';
import { VOC_EXPECTED_COUNTS } from './voc-layout.ts';

export interface ArchiveSource {
  url: string;
  /** MD5 (hex) checked before the archive is used; undefined where none is published */
  md5?: string;
  /** file name under <dataDir>/downloads */
  filename: string;
  /** extra request headers, e.g. a session cookie for the VOC evaluation server */
  headers?: Record<string, string>;
}

export type ArchiveKind = 'voc' | 'sbd' | 'test';

export const VOC_SOURCES: Record<ArchiveKind, ArchiveSource> = {
  voc: {
    url: 'http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar',
    md5: '6cd6e144f989b92b3379bac3b3de84fd',
    filename: 'VOCtrainval_11-May-2012.tar',
  },
  sbd: {
    url: 'http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/semantic_contours/benchmark.tgz',
    md5: '82b4d87ceb2ed10f6038a1cba92111cb',
    filename: 'benchmark.tgz',
  },
  // The evaluation server serves the test images only to registered users (send the login session
  // cookie in `headers`), and publishes no checksum for the file.
  test: {
    url: 'http://host.robots.ox.ac.uk:8080/eval/downloads/VOC2012test.tar',
    filename: 'VOC2012test.tar',
  },
};

/** where each archive keeps its VOC folder */
const VOC_PREFIX = 'VOCdevkit/VOC2012/';
const SBD_PREFIX = 'benchmark_RELEASE/dataset/';

export interface VocOptions {
  /** downloads go to <dataDir>/downloads, the prepared dataset to <dataDir>/VOC2012 */
  dataDir: string;
  /** an already extracted VOC2012 folder (JPEGImages, Annotations, SegmentationClass, ImageSets); used read-only */
  root?: string;
  /** an already extracted SBD: benchmark_RELEASE/ or its dataset/ folder (train.txt, val.txt and cls/ are read) */
  sbdDir?: string;
  /** convert SBD's cls/*.mat into SegmentationClassAug PNGs (default true) */
  sbdGroundTruth?: boolean;
  /** archives the user already has (no download then) */
  archives?: Partial<Record<ArchiveKind, string>>;
  /** download the test archive when no local one is given (needs a session cookie, see VOC_SOURCES.test) */
  includeTest?: boolean;
  /** override URLs, checksums, headers (tests point these at 127.0.0.1) */
  sources?: Partial<Record<ArchiveKind, Partial<ArchiveSource>>>;
  /** defaults: train 10,582, val 1,449, test 1,456; tests on small archives set their own */
  expectedCounts?: Partial<Record<SplitName, ExpectedIds>>;
  /** check MD5 of archives given in `archives` too (default true; a mismatch there is reported, never deleted) */
  verifyLocalArchives?: boolean;
  download?: { retries?: number; retryDelayMs?: number; idleTimeoutMs?: number };
  log?: (line: string) => void;
  signal?: AbortSignal;
}

const PREPARED_FILE = 'prepared.json';
const PREPARE_VERSION = 2;

type InputDescriptor = Record<string, string | number | null>;

async function describeFile(path: string): Promise<InputDescriptor> {
  const s = await stat(path);
  return { path: resolve(path), size: s.size, mtimeMs: Math.round(s.mtimeMs) };
}

function sourceOf(kind: ArchiveKind, opts: VocOptions): ArchiveSource {
  return { ...withMirror(VOC_SOURCES[kind]), ...opts.sources?.[kind] } as ArchiveSource;
}

/**
 * Make <dataDir>/VOC2012 ready and return its absolute path. Re-running with the same inputs returns
 * at once; a folder is only ever published complete (built in a staging folder, then renamed).
 */
export async function prepareVoc(opts: VocOptions, progress: ProgressSink = silentProgress): Promise<string> {
  const dataDir = resolve(opts.dataDir);
  const finalRoot = join(dataDir, 'VOC2012');
  const downloads = join(dataDir, 'downloads');
  const log = opts.log ?? (() => {});
  const expected: Partial<Record<SplitName, ExpectedIds>> = { train: VOC_EXPECTED_COUNTS.train, val: VOC_EXPECTED_COUNTS.val, ...opts.expectedCounts };
  const wantTest = Boolean(opts.archives?.test || opts.includeTest);
  if (wantTest && expected.test === undefined) expected.test = VOC_EXPECTED_COUNTS.test;

  // 1. what the dataset is built from, described without reading multi-GB files
  const plan: Record<string, InputDescriptor | null> = {};
  if (opts.root) plan.voc = { root: resolve(opts.root) };
  else if (opts.archives?.voc) plan.voc = await describeFile(opts.archives.voc);
  else plan.voc = { url: sourceOf('voc', opts).url, md5: sourceOf('voc', opts).md5 ?? null };
  if (opts.sbdDir) plan.sbd = { dir: resolve(opts.sbdDir) };
  else if (opts.archives?.sbd) plan.sbd = await describeFile(opts.archives.sbd);
  else plan.sbd = { url: sourceOf('sbd', opts).url, md5: sourceOf('sbd', opts).md5 ?? null };
  if (opts.archives?.test) plan.test = await describeFile(opts.archives.test);
  else if (opts.includeTest) plan.test = { url: sourceOf('test', opts).url, md5: sourceOf('test', opts).md5 ?? null };
  else plan.test = null;
  const sbdGt = opts.sbdGroundTruth !== false;
  const marker = JSON.stringify({ version: PREPARE_VERSION, plan, expected, sbdGt });

  try {
    const prev = JSON.parse(await readFile(join(finalRoot, PREPARED_FILE), 'utf8')) as { marker?: string };
    if (prev.marker === marker) {
      log(`VOC already prepared in ${finalRoot}`);
      return finalRoot;
    }
  } catch {
    // not prepared yet (or from other inputs): build it
  }

  // 2. archives: the user's, or downloaded and checksummed
  const archive = async (kind: ArchiveKind): Promise<string> => {
    const local = opts.archives?.[kind];
    const src = sourceOf(kind, opts);
    if (local) {
      if (!existsSync(local)) throw new Error(`${kind} archive not found: ${local}`);
      if (src.md5 && opts.verifyLocalArchives !== false) {
        const actual = await md5File(local);
        if (actual !== src.md5.toLowerCase()) {
          throw new Error(`checksum mismatch for ${local}: expected MD5 ${src.md5}, got ${actual} (your file was left in place)`);
        }
      }
      return local;
    }
    if (!src.md5) log(`${kind}: no published checksum for ${src.url}; its contents are checked by structure and counts only`);
    return downloadFile({
      url: src.url,
      dest: join(downloads, src.filename),
      md5: src.md5,
      headers: src.headers,
      retries: opts.download?.retries,
      retryDelayMs: opts.download?.retryDelayMs,
      idleTimeoutMs: opts.download?.idleTimeoutMs,
      progress,
      label: `download ${src.filename}`,
      signal: opts.signal,
      log,
    });
  };
  const vocArchive = opts.root ? null : await archive('voc');
  const sbdArchive = opts.sbdDir ? null : await archive('sbd');
  const testArchive = wantTest ? await archive('test') : null;

  // 3. build in a staging folder next to the final one
  await mkdir(dataDir, { recursive: true });
  const staging = await makeStagingDir(finalRoot);
  try {
    if (vocArchive) {
      await extractInto(vocArchive, staging, { stripPrefix: VOC_PREFIX, progress, label: `extract ${basename(vocArchive)}` });
    } else {
      await linkUserRoot(resolve(opts.root!), staging);
    }
    for (const need of ['JPEGImages', 'Annotations', 'ImageSets/Segmentation/train.txt', 'ImageSets/Segmentation/val.txt']) {
      if (!existsSync(join(staging, need))) {
        throw new Error(`${vocArchive ?? opts.root}: not a VOC2012 trainval set (no ${vocArchive ? VOC_PREFIX : ''}${need})`);
      }
    }
    if (testArchive) {
      await extractInto(testArchive, staging, { stripPrefix: VOC_PREFIX, progress, label: `extract ${basename(testArchive)}` });
      if (!existsSync(join(staging, 'ImageSets/Segmentation/test.txt'))) {
        throw new Error(`${testArchive}: not a VOC2012 test set (no ${VOC_PREFIX}ImageSets/Segmentation/test.txt)`);
      }
    }

    const sbdLists = join(staging, 'ImageSets', 'SBD');
    await mkdir(sbdLists, { recursive: true });
    // SBD's class ground truth, read from here and converted once train_aug is known
    let sbdCls: string | null = null;
    if (sbdArchive) {
      const sbdTmp = join(staging, '.sbd');
      const found = new Set<string>();
      await extractInto(sbdArchive, sbdTmp, {
        stripPrefix: SBD_PREFIX,
        filter: (rel) => {
          const list = rel === 'train.txt' || rel === 'val.txt';
          if (list) found.add(rel);
          return list || (sbdGt && /^cls\/[^/]+\.mat$/.test(rel));
        },
        // without the ground truth, the lists are all we need from the 1.4 GB archive
        until: () => !sbdGt && found.size === 2,
        progress,
        label: `extract ${sbdGt ? 'lists and cls/*.mat' : 'lists'} from ${basename(sbdArchive)}`,
      });
      for (const f of found) await copyFile(join(sbdTmp, f), join(sbdLists, f));
      if (sbdGt) sbdCls = join(sbdTmp, 'cls');
    } else {
      const dir = existsSync(join(opts.sbdDir!, 'dataset', 'train.txt')) ? join(opts.sbdDir!, 'dataset') : opts.sbdDir!;
      for (const f of ['train.txt', 'val.txt']) {
        if (existsSync(join(dir, f))) await copyFile(join(dir, f), join(sbdLists, f));
      }
      if (sbdGt) sbdCls = join(dir, 'cls');
    }
    for (const f of ['train.txt', 'val.txt']) {
      if (!existsSync(join(sbdLists, f))) {
        throw new Error(`${sbdArchive ?? opts.sbdDir}: no SBD ${sbdArchive ? SBD_PREFIX : ''}${f}`);
      }
    }

    // 4. splits
    const segDir = join(staging, 'ImageSets', 'Segmentation');
    const vocTrain = await readIdList(join(segDir, 'train.txt'));
    const vocVal = await readIdList(join(segDir, 'val.txt'));
    const sbdTrain = await readIdList(join(sbdLists, 'train.txt'));
    const sbdVal = await readIdList(join(sbdLists, 'val.txt'));
    const candidates = difference(union(vocTrain, sbdTrain, sbdVal), vocVal);
    const jpegs = new Set(await readdir(join(staging, 'JPEGImages')));
    const noImage = candidates.filter((id) => !jpegs.has(`${id}.jpg`));
    const trainAug = difference(candidates, noImage);
    const hints = noImage.length ? [`${noImage.length} id(s) from the VOC/SBD lists have no JPEGImages/<id>.jpg: ${formatIds(noImage)}`] : [];
    checkSplit('train_aug', trainAug, expected.train, hints);
    checkSplit('val', vocVal, expected.val);
    if (testArchive) checkSplit('test', await readIdList(join(segDir, 'test.txt')), expected.test);
    await writeIdList(join(segDir, 'train_aug.txt'), trainAug);
    const converted = sbdCls ? await convertSbdGroundTruth(staging, sbdCls, trainAug, log, progress) : 0;
    await rm(join(staging, '.sbd'), { recursive: true, force: true });

    await writeFile(
      join(staging, PREPARED_FILE),
      `${JSON.stringify({ marker, counts: { train_aug: trainAug.length, val: vocVal.length, sbdGroundTruth: converted }, created: new Date().toISOString() }, null, 2)}\n`,
    );
    await commitStagingDir(staging, finalRoot);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  log(`VOC prepared in ${finalRoot}`);
  return finalRoot;
}

/**
 * Mirror a user's extracted VOC2012 folder into the staging folder without writing into theirs:
 * image and annotation folders become folders of per-file links (so a test archive can add files
 * beside them), other folders are linked whole, and the split lists are copied.
 */
async function linkUserRoot(userRoot: string, staging: string): Promise<void> {
  if (!existsSync(join(userRoot, 'JPEGImages'))) {
    throw new Error(`${userRoot}: not a VOC2012 folder (no JPEGImages/)`);
  }
  for (const name of await readdir(userRoot)) {
    const src = join(userRoot, name);
    if (name === 'ImageSets' || name === PREPARED_FILE) continue;
    if (name === 'JPEGImages' || name === 'Annotations') {
      await mkdir(join(staging, name));
      for (const f of await readdir(src)) await symlink(join(src, f), join(staging, name, f));
    } else {
      await symlink(src, join(staging, name));
    }
  }
  const lists = join(userRoot, 'ImageSets', 'Segmentation');
  const out = join(staging, 'ImageSets', 'Segmentation');
  await mkdir(out, { recursive: true });
  if (existsSync(lists)) {
    for (const f of await readdir(lists)) {
      if ((await lstat(join(lists, f))).isFile()) await copyFile(join(lists, f), join(out, f));
    }
  }
}

/**
 * SegmentationClassAug/<id>.png from SBD's cls/<id>.mat for each train_aug id without a VOC
 * SegmentationClass PNG (VOC's own annotation wins where both exist). Returns how many were written.
 */
async function convertSbdGroundTruth(
  staging: string,
  clsDir: string,
  trainAug: string[],
  log: (line: string) => void,
  progress: ProgressSink,
): Promise<number> {
  const voc = new Set(existsSync(join(staging, 'SegmentationClass')) ? await readdir(join(staging, 'SegmentationClass')) : []);
  const mats = new Set(existsSync(clsDir) ? await readdir(clsDir) : []);
  const need = trainAug.filter((id) => !voc.has(`${id}.png`));
  const have = need.filter((id) => mats.has(`${id}.mat`));
  const out = join(staging, SBD_GT_DIR);
  await mkdir(out, { recursive: true });
  progress.start(have.length, 'SBD cls/*.mat -> SegmentationClassAug');
  await mapLimit(have, 4, async (id) => {
    await writeFile(join(out, `${id}.png`), encodeGrayPng(await readSbdLabelMap(join(clsDir, `${id}.mat`))));
    progress.tick(1);
  });
  progress.done();
  const missing = difference(need, have);
  log(
    `SBD ground truth: ${have.length} train_aug label maps converted from cls/*.mat, ${trainAug.length - need.length} from VOC's SegmentationClass` +
      (missing.length ? `; ${missing.length} train_aug id(s) have neither: ${formatIds(missing)}` : ''),
  );
  return have.length;
}
