// Where the ImageNet weights come from: a local file, or the Keras applications release URL with
// its pinned MD5 (the hashes keras.utils.get_file checks). A download goes to a temp file, is
// hashed while it streams, and is renamed into place only if the hash matches, so a cache never
// holds a partial or wrong file.

import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { withMirror } from '../data/mirrors.ts';
import type { ModelName } from './model.ts';

export interface WeightsFile {
  url: string;
  file: string;
  md5: string;
}

const KERAS = 'https://storage.googleapis.com/tensorflow/keras-applications';

/** Keras applications notop weights (URLs and MD5s as keras.applications pins them). */
export const IMAGENET_WEIGHTS: Partial<Record<ModelName, WeightsFile>> = {
  'deeplabv2-resnet101': {
    url: `${KERAS}/resnet/resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5`,
    file: 'resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '88cf7a10940856eca736dc7b7e228a21',
  },
  'deeplab-largefov-vgg16': {
    url: `${KERAS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`,
    file: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '6d6bbae143d832006294945121d1f1fc',
  },
};

export async function md5File(file: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of (await fs.open(file)).createReadStream()) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Download url to dest, checking its MD5; throws naming both hashes on a mismatch. */
export async function downloadChecked(url: string, dest: string, md5: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.partial-${process.pid}`;
  const res = await fetchImpl(url);
  if (!res.ok || res.body === null) throw new Error(`download ${url}: HTTP ${res.status}`);
  const hash = createHash('md5');
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  try {
    await pipeline(body, createWriteStream(tmp));
    const got = hash.digest('hex');
    if (got !== md5) throw new Error(`download ${url}: MD5 ${got}, expected ${md5}; file discarded`);
    await fs.rename(tmp, dest);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * The ImageNet weights file for a model: `spec` is a path to a local HDF5, or 'download' to fetch
 * the pinned Keras file into cacheDir (reused when already there with the right hash).
 */
export async function resolveImagenetWeights(
  model: ModelName,
  spec: string,
  cacheDir: string,
  opts: { fetchImpl?: typeof fetch; source?: WeightsFile } = {},
): Promise<string> {
  if (spec !== 'download') {
    await fs.access(spec).catch(() => {
      throw new Error(`ImageNet weights file ${spec} does not exist`);
    });
    return spec;
  }
  const pinned = IMAGENET_WEIGHTS[model];
  const src = opts.source ?? (pinned && withMirror(pinned));
  if (src === undefined) throw new Error(`${model} has no ImageNet weights to download`);
  const dest = path.join(cacheDir, src.file);
  const have = await fs.access(dest).then(
    () => true,
    () => false,
  );
  if (have && (await md5File(dest)) === src.md5) return dest;
  await downloadChecked(src.url, dest, src.md5, opts.fetchImpl);
  return dest;
}
