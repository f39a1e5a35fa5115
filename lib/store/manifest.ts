// The manifest is the commit record of an artifact: a directory without a complete, parseable
// manifest is never read as a result. Big tables (file list, item table) live in side files so
// that reading every manifest of a cached DAG stays cheap.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Json } from './canonical-json.ts';

export const MANIFEST = 'manifest.json';
/** [relative path, size, sha256], sorted by path; covers every content file */
export const FILES = 'files.json';
/** per-item table: ids and per-item content hashes (content: part of the content hash) */
export const ITEMS = 'items.json';
/** per-item bookkeeping for item-level reuse: item keys and item metrics (not content) */
export const ITEM_STATE = 'item-state.json';
/** files that describe an artifact rather than being its content */
export const META_FILES = new Set([MANIFEST, FILES, ITEM_STATE]);

export interface InputRef {
  stage: string;
  key: string;
  contentHash: string;
}

export interface Manifest {
  format: 1;
  stage: string;
  key: string;
  version: number;
  codeHash: string;
  params: Json;
  /** a tensor stage's numerics, as in its key (lib/contract/numerics.ts) */
  numerics?: { backend: string; [field: string]: string | number | boolean | undefined };
  /** an onnx stage computed on onnxruntime's CUDA provider, as in its key (lib/tensor/onnx-provider.ts) */
  onnx?: { provider: 'cuda' };
  /**
   * computed with TensorFlow's nondeterministic kernels (`--nondeterministic`): another computation
   * of this key may give other bytes; nothing may claim a result equal to this one
   */
  nondeterministic?: true;
  inputs: Record<string, InputRef>;
  contentHash: string;
  fileCount: number;
  totalBytes: number;
  hasItems: boolean;
  created: string;
  seconds: number;
  metrics: Record<string, Json>;
}

export type FileEntry = [path: string, size: number, sha256: string];

export interface ItemTable {
  ids: string[];
  hashes: string[];
}

export interface ItemState {
  itemKeys: string[];
  /** names of the per-item arrays */
  arrays: string[];
  metrics: (Record<string, Json> | null)[];
}

export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    return null;
  }
  try {
    const m = JSON.parse(text) as Manifest;
    return m.format === 1 && typeof m.contentHash === 'string' ? m : null;
  } catch {
    return null;
  }
}

export async function readJsonFile<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
