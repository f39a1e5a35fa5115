// The key recipe's numerics part: a tensor stage's key changes with what it computes on, a stage
// that touches no tensors keeps the key it had before numerics existed, a per-item stage is keyed
// with one thread whatever the training setting, and a guard param is not part of any key.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemKey, keyPartsOf, stageKey, type KeyedStage } from '../../lib/contract/key.ts';
import { numericsChange, stageNumerics } from '../../lib/contract/numerics.ts';
import { canonicalJson } from '../../lib/store/canonical-json.ts';
import { sha256 } from '../../lib/store/hash.ts';
import type { NumericsSetting } from '../../lib/tensor/numerics.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const wasm: NumericsSetting = { backend: 'wasm', tensorflow: null, threads: 2, deterministic: true };
const node: NumericsSetting = { backend: 'tfjs-node', tensorflow: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64', threads: 2, deterministic: true };
const inputs = { dataset: 'c'.repeat(64) };

function key(setting: NumericsSetting, s: Partial<KeyedStage> & { name: string; module: string }): string {
  return stageKey(keyPartsOf({ root: ROOT, numerics: setting }, { version: 1, params: { iterations: 20, divergeFactor: 100 }, ...s }, inputs));
}

describe('stage key numerics', () => {
  const train = { name: 'train', module: resolve(ROOT, 'stages/train.ts'), tensors: true, guards: ['divergeFactor'] };
  const cues = { name: 'cues', module: resolve(ROOT, 'stages/cues.ts') };

  it('a tensor stage gets another key on another backend, TensorFlow build, thread count or kernel choice', () => {
    const keys = [
      key(wasm, train),
      key(node, train),
      key({ ...node, tensorflow: 'tensorflow_cpu-2.20.0-cp311-cp311-manylinux_2_27_x86_64' }, train),
      key({ ...node, threads: 4 }, train),
      key({ ...node, deterministic: false }, train),
      key({ ...node, backend: 'tfjs-node-gpu' }, train),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    // wasm has none of the native switches: they cannot split its keys
    expect(key({ ...wasm, threads: 4, deterministic: false }, train)).toBe(keys[0]);
  });

  it('a stage that touches no tensors has one key on every backend, made as before numerics existed', () => {
    const k = key(node, cues);
    expect(key(wasm, cues)).toBe(k);
    expect(key({ ...node, threads: 8, deterministic: false }, cues)).toBe(k);
    const parts = keyPartsOf({ root: ROOT, numerics: node }, { version: 1, params: { iterations: 20, divergeFactor: 100 }, ...cues }, inputs);
    expect(parts.numerics).toBeUndefined();
    expect(k).toBe(sha256('dcsp-stage-key/1', 'cues', '1', parts.codeHash, canonicalJson(parts.params), canonicalJson(inputs)));
  });

  it('a per-item tensor stage computes each op on one thread: the training thread setting does not key it', () => {
    const attention = { name: 'attention', module: resolve(ROOT, 'stages/attention.ts'), tensors: true, perItem: true };
    expect(key({ ...node, threads: 8 }, attention)).toBe(key(node, attention));
    expect(key(wasm, attention)).not.toBe(key(node, attention));
    const parts = keyPartsOf({ root: ROOT, numerics: node }, { version: 1, params: {}, ...attention }, inputs);
    expect(parts.numerics).toEqual({ backend: 'tfjs-node', tensorflow: node.tensorflow, threads: 1, deterministic: true });
    // items too: an item computed on wasm is never reused in a tfjs-node artifact
    const wasmParts = keyPartsOf({ root: ROOT, numerics: wasm }, { version: 1, params: {}, ...attention }, inputs);
    expect(itemKey(parts, null, 'a', inputs)).not.toBe(itemKey(wasmParts, null, 'a', inputs));
  });

  it('a guard that did not fire is no part of the key', () => {
    const base = keyPartsOf({ root: ROOT, numerics: node }, { version: 1, params: { iterations: 20, divergeFactor: 100 }, ...train }, inputs);
    const other = keyPartsOf({ root: ROOT, numerics: node }, { version: 1, params: { iterations: 20, divergeFactor: 3 }, ...train }, inputs);
    expect(stageKey(other)).toBe(stageKey(base));
    expect(base.params).toEqual({ iterations: 20 });
    const more = keyPartsOf({ root: ROOT, numerics: node }, { version: 1, params: { iterations: 21, divergeFactor: 100 }, ...train }, inputs);
    expect(stageKey(more)).not.toBe(stageKey(base));
  });

  it('says why numerics make a stage stale', () => {
    expect(numericsChange(stageNumerics(wasm, false), stageNumerics(node, false))).toBe('numerics changed: backend wasm -> tfjs-node');
    expect(numericsChange(stageNumerics(node, false), stageNumerics({ ...node, threads: 4 }, false))).toBe('numerics changed: threads 2 -> 4');
    expect(numericsChange(stageNumerics(node, false), stageNumerics({ ...node, deterministic: false }, false))).toBe(
      'numerics changed: deterministic true -> false',
    );
    expect(numericsChange(undefined, stageNumerics(node, false))).toMatch(/^numerics joined the key \(backend tfjs-node\)/);
    expect(numericsChange(stageNumerics(node, true), stageNumerics({ ...node, threads: 4 }, true))).toBeNull();
    expect(numericsChange(undefined, undefined)).toBeNull();
  });

  it("an onnx stage's key names onnxruntime's CUDA provider only when it runs on it", () => {
    const s1 = { name: 'saliency-s1', module: resolve(ROOT, 'stages/saliency-s1.ts'), onnx: true, perItem: true };
    const gpu = { ...node, backend: 'tfjs-node-gpu' as const };
    const cpuKey = key({ ...gpu, onnx: { provider: 'cpu', why: '' } }, s1);
    const cudaParts = keyPartsOf({ root: ROOT, numerics: { ...gpu, onnx: { provider: 'cuda', why: '' } } }, { version: 1, params: {}, ...s1 }, inputs);
    expect(cudaParts.onnx).toEqual({ provider: 'cuda' });
    expect(stageKey(cudaParts)).not.toBe(key(gpu, s1));
    // on the CPU provider, the key the stage had before the CUDA provider could be chosen, on any backend
    expect(cpuKey).toBe(key(gpu, s1));
    expect(key(wasm, s1)).toBe(cpuKey);
    const cpuParts = keyPartsOf({ root: ROOT, numerics: wasm }, { version: 1, params: {}, ...s1 }, inputs);
    expect(cpuParts.onnx).toBeUndefined();
    expect(itemKey(cudaParts, null, 'a', inputs)).not.toBe(itemKey(cpuParts, null, 'a', inputs));
    // a stage that runs no onnxruntime session is not keyed by its provider
    expect(key({ ...gpu, onnx: { provider: 'cuda', why: '' } }, cues)).toBe(key(gpu, cues));
  });
});
