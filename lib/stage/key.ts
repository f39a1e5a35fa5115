// The stage key (DESIGN.md section 4): name, version, code hash, canonical params and the content
// hashes of its inputs. Nothing else: not time, not paths, not the machine.
import { canonicalJson, type Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';

export interface KeyParts {
  stage: string;
  version: number;
  codeHash: string;
  params: Json;
  /** slot -> content hash of the input artifact */
  inputs: Record<string, string>;
}

export function stageKey(p: KeyParts): string {
  return sha256('dcsp-stage-key/1', p.stage, String(p.version), p.codeHash, canonicalJson(p.params), canonicalJson(p.inputs));
}

/** One item of a per-item stage: the stage's code and params, the shared context, the item's id and its own inputs. */
export function itemKey(stage: KeyParts, shared: Json, id: string, itemInputs: Record<string, string>): string {
  return sha256('dcsp-item-key/1', stage.stage, String(stage.version), stage.codeHash, canonicalJson(stage.params), canonicalJson(shared), id, canonicalJson(itemInputs));
}
