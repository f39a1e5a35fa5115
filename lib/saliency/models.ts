// Named ONNX salient-object models: where to get them, their pinned checksum, and how they want their
// input. U2-Net (Qin et al., Pattern Recognition 2020) is Apache-2.0; the ONNX exports are the ones
// the rembg project publishes as release assets.

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedPreprocess } from './network-io.ts';

export interface NamedModel {
  url: string;
  sha256: string;
  bytes: number;
  /** md5 as published by rembg (kept for cross-checking by hand; sha256 is what we verify) */
  md5: string;
  licence: string;
  preprocess: Partial<ResolvedPreprocess>;
}

// U2-Net's reference preprocessing: resize to 320x320, divide by the image maximum, ImageNet mean/std,
// NCHW RGB; output d0 (the first output, already a sigmoid), min-max normalised per image.
const U2NET_PRE: Partial<ResolvedPreprocess> = {
  inputSize: [320, 320],
  scale: 'max',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  channelOrder: 'rgb',
  layout: 'nchw',
  output: 0,
  normalize: 'minmax',
  upsample: 'cubic',
};

export const NAMED_MODELS: Record<string, NamedModel> = {
  u2netp: {
    url: 'https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2netp.onnx',
    sha256: '309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8',
    bytes: 4574861,
    md5: '8e83ca70e441ab06c318d82300c84806',
    licence: 'Apache-2.0 (U-2-Net, xuebinqin/U-2-Net)',
    preprocess: U2NET_PRE,
  },
  u2net: {
    url: 'https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2net.onnx',
    sha256: '8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491',
    bytes: 175997641,
    md5: '60024c5c889badc19c04ad937298a77b',
    licence: 'Apache-2.0 (U-2-Net, xuebinqin/U-2-Net)',
    preprocess: U2NET_PRE,
  },
};

export function defaultModelDir(): string {
  return process.env.DCSP_MODEL_DIR ?? join(homedir(), '.cache', 'dcsp-pipeline', 'models');
}
