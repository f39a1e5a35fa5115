// What the machine has for a run: a GPU and the CUDA / cuDNN libraries tfjs-node-gpu loads, the
// downloads and weights a profile needs (already in the cache or still to fetch), and free disk.
import { existsSync, readdirSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { ResolvedStage } from '../dag/resolve.ts';
import { COCO_2014, COCO_2014_ANNOTATIONS } from '../data/coco/archives.ts';
import { VOC_SOURCES } from '../data/prepare-voc.ts';
import { IMAGENET_WEIGHTS } from '../model/init-download.ts';
import type { ModelName } from '../model/model.ts';
import { DUTS_TR } from '../saliency/duts.ts';

export interface GpuReport {
  /** /dev/nvidia0 present */
  device: boolean;
  /** tfjs-node-gpu installed (resolvable from here) */
  tfjsNodeGpu: boolean;
  /** library -> the file found, or null */
  libraries: Record<string, string | null>;
}

/** The shared libraries libtensorflow's GPU build opens (any version suffix). */
const CUDA_LIBS = ['libcudart.so', 'libcublas.so', 'libcufft.so', 'libcurand.so', 'libcusolver.so', 'libcusparse.so', 'libcudnn.so'];

function libraryDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
  dirs.push('/usr/local/cuda/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib');
  return [...new Set(dirs)].filter((d) => existsSync(d));
}

export function gpuReport(env: NodeJS.ProcessEnv = process.env): GpuReport {
  const dirs = libraryDirs(env);
  const listing = new Map(
    dirs.map((d) => [
      d,
      (() => {
        try {
          return readdirSync(d);
        } catch {
          return [];
        }
      })(),
    ]),
  );
  const libraries: Record<string, string | null> = {};
  for (const lib of CUDA_LIBS) {
    let found: string | null = null;
    for (const [d, names] of listing) {
      const hit = names
        .filter((n) => n.startsWith(lib))
        .sort()
        .pop();
      if (hit) {
        found = join(d, hit);
        break;
      }
    }
    libraries[lib] = found;
  }
  let tfjsNodeGpu = false;
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    tfjsNodeGpu = true;
  } catch {
    // not installed
  }
  return { device: existsSync('/dev/nvidia0'), tfjsNodeGpu, libraries };
}

export interface NeededFile {
  what: string;
  /** where it is (or will be) on disk */
  path: string;
  present: boolean;
  /** approximate download size in bytes, where known */
  bytes: number | null;
}

// sizes as published (VOC, SBD) or as the files are on the Keras bucket; DUTS-TR's is approximate
const SIZES: Record<string, number> = {
  [VOC_SOURCES.voc.filename]: 1_999_639_040,
  [VOC_SOURCES.sbd.filename]: 1_419_539_633,
  [DUTS_TR.filename]: 264_000_000,
  'resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5': 171_446_536,
  'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5': 58_889_256,
};

/** The downloads and weights the run's stages need, and whether the cache has them. */
export function neededFiles(stages: ResolvedStage[], dataDir: string): NeededFile[] {
  const out: NeededFile[] = [];
  const find = (name: string) => stages.find((s) => s.name === name || s.module.endsWith(`/${name}.ts`));
  const dataset = find('dataset');
  if (dataset?.params.source === 'voc') {
    const voc = (dataset.params.voc ?? {}) as { root?: string; sbdDir?: string; archives?: Record<string, string> };
    const prepared = existsSync(join(dataDir, 'voc', 'VOC2012', 'prepared.json'));
    const archive = (kind: 'voc' | 'sbd', mine: string | undefined, local: string | undefined): void => {
      const f = VOC_SOURCES[kind].filename;
      const path = mine ?? local ?? join(dataDir, 'voc', 'downloads', f);
      out.push({
        what: kind === 'voc' ? 'VOC2012 trainval' : 'SBD (benchmark.tgz)',
        path,
        present: prepared || existsSync(path),
        bytes: mine ? null : SIZES[f],
      });
    };
    archive('voc', voc.root, voc.archives?.voc);
    archive('sbd', voc.sbdDir, voc.archives?.sbd);
  }
  if (dataset?.params.source === 'coco') {
    const coco = (dataset.params.coco ?? {}) as { archives?: Record<string, string>; sources?: Record<string, { bytes?: number }> };
    const root = join(dataDir, 'coco', '2014');
    // an archive counts as present once what it holds is out (the zip may have been deleted since)
    const entries = [
      { kind: 'annotations', what: 'COCO 2014 instance annotations', archive: COCO_2014_ANNOTATIONS, done: join(root, 'annotations', '.complete') },
      { kind: 'train', what: 'COCO train2014 images', archive: COCO_2014.train.images, done: join(root, `.${COCO_2014.train.folder}.complete`) },
      { kind: 'val', what: 'COCO val2014 images', archive: COCO_2014.val.images, done: join(root, `.${COCO_2014.val.folder}.complete`) },
    ];
    for (const e of entries) {
      const mine = coco.archives?.[e.kind];
      const path = mine ?? join(dataDir, 'coco', 'downloads', e.archive.filename);
      out.push({
        what: e.what,
        path,
        present: existsSync(e.done) || existsSync(path),
        bytes: mine ? null : (coco.sources?.[e.kind]?.bytes ?? e.archive.bytes),
      });
    }
  }
  const st = find('saliency-train');
  if (st?.params.source === 'duts') {
    const done = existsSync(join(dataDir, 'duts', '.complete'));
    out.push({ what: 'DUTS-TR', path: join(dataDir, 'duts'), present: done, bytes: SIZES[DUTS_TR.filename] });
  }
  const weights = (model: ModelName, spec: unknown, what: string): void => {
    if (typeof spec !== 'string' || spec === 'none') return;
    const w = IMAGENET_WEIGHTS[model];
    if (spec !== 'download' || !w) {
      out.push({ what, path: spec, present: existsSync(spec), bytes: null });
      return;
    }
    const path = join(dataDir, 'weights', w.file);
    out.push({ what, path, present: existsSync(path), bytes: SIZES[w.file] ?? null });
  };
  const fcan = find('fcan-pretrain');
  if (fcan) weights(fcan.params.model as ModelName, fcan.params.init, `ImageNet init of ${String(fcan.params.model)} (Keras notop)`);
  if (st) weights('deeplab-largefov-vgg16', st.params.init, 'ImageNet init of DHSNet (Keras VGG16 notop)');
  return out;
}

/** Free bytes on the file system that holds `dir` (or its nearest existing parent). */
export function freeBytes(dir: string): number {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  const s = statfsSync(d);
  return s.bavail * s.bsize;
}
