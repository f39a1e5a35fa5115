// The stage key, the whole recipe (docs/design.md §4): name, version, code identity
// (code-hash.ts), canonical params and the content hashes of its inputs. Nothing else: not time,
// not paths, not the machine.
import { canonicalJson, type Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import { codeHash } from './code-hash.ts';

export interface KeyParts {
  stage: string;
  version: number;
  codeHash: string;
  params: Json;
  /** slot -> content hash of the input artifact */
  inputs: Record<string, string>;
}

/** What a key is made of, for a resolved stage (its module, version and params) of a pipeline rooted at `root`. */
export function keyPartsOf(
  p: { root: string },
  s: { name: string; version: number; module: string; params: Record<string, unknown> },
  inputs: Record<string, string>,
): KeyParts {
  return {
    stage: s.name,
    version: s.version,
    codeHash: codeHash(s.module, p.root),
    params: JSON.parse(canonicalJson(s.params)) as Json,
    inputs,
  };
}

export function stageKey(p: KeyParts): string {
  return sha256('dcsp-stage-key/1', p.stage, String(p.version), p.codeHash, canonicalJson(p.params), canonicalJson(p.inputs));
}

/** One item of a per-item stage: the stage's code and params, the shared context, the item's id and its own inputs. */
export function itemKey(stage: KeyParts, shared: Json, id: string, itemInputs: Record<string, string>): string {
  return sha256('dcsp-item-key/1', stage.stage, String(stage.version), stage.codeHash, canonicalJson(stage.params), canonicalJson(shared), id, canonicalJson(itemInputs));
}
