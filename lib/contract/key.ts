// The stage key, the whole recipe (docs/design.md §4): name, version, code identity
// (code-hash.ts), canonical params and the content hashes of its inputs, and for a stage that
// computes with tensors the numerics it computes with (numerics.ts). Nothing else: not time, not
// paths, not the machine beyond what changes the bytes.
import { canonicalJson, type Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import { codeHash } from './code-hash.ts';
import { stageNumerics, type Numerics, type NumericsSetting } from './numerics.ts';

export interface KeyParts {
  stage: string;
  version: number;
  codeHash: string;
  /** the resolved params, less the stage's guards */
  params: Json;
  /** slot -> content hash of the input artifact */
  inputs: Record<string, string>;
  /** tensor stages only: backend, TensorFlow build, threads, deterministic kernels */
  numerics?: Numerics;
  /** onnx stages run on onnxruntime's CUDA provider only (lib/tensor/onnx-provider.ts); the CPU's is named by nothing */
  onnx?: { provider: 'cuda' };
}

/** What of a resolved stage its key reads (lib/dag/resolve.ts fills these from the stage's declaration). */
export interface KeyedStage {
  name: string;
  version: number;
  module: string;
  params: Record<string, unknown>;
  /** it computes with tfjs tensors (under these params and inputs) */
  tensors?: boolean;
  /** it runs onnxruntime sessions (under these params and inputs) */
  onnx?: boolean;
  /** it computes per item (each op on one thread) rather than as one whole (a training) */
  perItem?: boolean;
  /** params that only stop a run and never change what it commits */
  guards?: readonly string[];
}

/** What a key is made of, for a resolved stage of a pipeline rooted at `root` whose tensor stages compute under `numerics`. */
export function keyPartsOf(p: { root: string; numerics: NumericsSetting }, s: KeyedStage, inputs: Record<string, string>): KeyParts {
  // A guard (a training's divergeFactor) either stops the run, and nothing is committed, or lets it
  // finish with the very bytes it would have had without the guard: it cannot tell two results
  // apart, so it stays out of the key, and changing a guard that did not fire re-keys nothing.
  const parts: KeyParts = {
    stage: s.name,
    version: s.version,
    codeHash: codeHash(s.module, p.root),
    params: keyedParams(s.params, s.guards),
    inputs,
  };
  if (s.tensors) parts.numerics = stageNumerics(p.numerics, Boolean(s.perItem));
  if (s.onnx && p.numerics.onnx?.provider === 'cuda') parts.onnx = { provider: 'cuda' };
  return parts;
}

/** The params a key holds: the resolved params less the stage's guards (canonical JSON). */
export function keyedParams(params: Record<string, unknown>, guards: readonly string[] = []): Json {
  return JSON.parse(canonicalJson(Object.fromEntries(Object.entries(params).filter(([k]) => !guards.includes(k))))) as Json;
}

// A stage without numerics hashes exactly what it did before numerics existed, so the keys of the
// stages that touch no tensors did not change when tensor stages gained theirs; likewise an onnx
// stage on the CPU provider keeps the key it had before the CUDA provider could be chosen.
const numericsPart = (p: KeyParts): string[] => [...(p.numerics ? [canonicalJson(p.numerics)] : []), ...(p.onnx ? [canonicalJson(p.onnx)] : [])];

export function stageKey(p: KeyParts): string {
  return sha256('dcsp-stage-key/1', p.stage, String(p.version), p.codeHash, canonicalJson(p.params), canonicalJson(p.inputs), ...numericsPart(p));
}

/** One item of a per-item stage: the stage's code, params and numerics, the shared context, the item's id and its own inputs. */
export function itemKey(stage: KeyParts, shared: Json, id: string, itemInputs: Record<string, string>): string {
  return sha256(
    'dcsp-item-key/1',
    stage.stage,
    String(stage.version),
    stage.codeHash,
    canonicalJson(stage.params),
    canonicalJson(shared),
    id,
    canonicalJson(itemInputs),
    ...numericsPart(stage),
  );
}
