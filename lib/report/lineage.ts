// The artifacts behind a report: start from the artifacts it was given and follow every manifest's
// `inputs` upstream (lib/store/lineage.ts: the same walk the report stage's key covers, so what the
// report shows of them is in its key). An input that is no longer in the cache (collected by gc) is
// kept as a node without a manifest, so the DAG still shows it.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Artifact } from '../store/artifact.ts';
import { upstreamOf, type LineageEntry } from '../store/lineage.ts';
import type { InputRef } from '../store/manifest.ts';

export interface LineageNode {
  /** `<stage>@<key>` */
  id: string;
  stage: string;
  key: string;
  dir: string;
  /** null when the artifact is missing from the cache */
  artifact: Artifact | null;
  /** input slot -> node id */
  inputs: Record<string, string>;
}

export interface Lineage {
  cacheRoot: string;
  /** inputs before the stages that read them */
  nodes: LineageNode[];
  /** the first node of a stage (a report sees one key per stage) */
  byStage(stage: string): LineageNode | undefined;
}

const nodeId = (stage: string, key: string): string => `${stage}@${key}`;

/** The cache root of an artifact dir: <root>/<stage>/<key>. */
export function cacheRootOf(artifactDir: string): string {
  return dirname(dirname(resolve(artifactDir)));
}

export async function walkLineage(startDirs: string[], cacheRoot?: string): Promise<Lineage> {
  if (startDirs.length === 0) throw new Error('report: no input artifacts given');
  const root = resolve(cacheRoot ?? cacheRootOf(startDirs[0]));
  const start: { stage: string; key: string }[] = [];
  for (const d of startDirs) {
    const art = await Artifact.open(resolve(d));
    start.push({ stage: art.stage, key: art.manifest.key });
  }
  const reached = new Map<string, LineageEntry>((await upstreamOf(root, start)).map((e) => [nodeId(e.stage, e.key), e]));
  const found = new Map<string, LineageNode>();
  // Early cutoff: a stage that re-ran with identical output leaves its dependents cached, and their
  // manifests still name the input's old key. Both keys hold the same content, so they are one node
  // here (the first found: the given artifacts come first).
  const byContent = new Map<string, string>();
  const contentKey = (stage: string, hash: string): string => `${stage}\u0000${hash}`;
  const queue = [...start];
  const redirect = new Map<string, string>();
  const aliasOf = (ref: InputRef): string | undefined => byContent.get(contentKey(ref.stage, ref.contentHash));
  while (queue.length) {
    const { stage, key } = queue.shift()!;
    const id = nodeId(stage, key);
    if (found.has(id)) continue;
    const manifest = reached.get(id)?.manifest ?? null;
    const dir = join(root, stage, key);
    const artifact = manifest ? new Artifact(dir, manifest) : null;
    if (manifest) {
      const same = byContent.get(contentKey(stage, manifest.contentHash));
      if (same) {
        redirect.set(id, same);
        continue;
      }
      byContent.set(contentKey(stage, manifest.contentHash), id);
    }
    const inputs: Record<string, string> = {};
    for (const [slot, ref] of Object.entries<InputRef>(manifest?.inputs ?? {})) {
      const alias = aliasOf(ref);
      if (alias) {
        inputs[slot] = alias;
        continue;
      }
      inputs[slot] = nodeId(ref.stage, ref.key);
      queue.push({ stage: ref.stage, key: ref.key });
    }
    found.set(id, { id, stage, key, dir, artifact, inputs });
  }
  // inputs that were queued under a key found to alias an earlier node
  for (const n of found.values()) for (const [slot, id] of Object.entries(n.inputs)) n.inputs[slot] = redirect.get(id) ?? id;
  const nodes = topologicalOrder(found, [...found.keys()]);
  return {
    cacheRoot: root,
    nodes,
    byStage: (stage) => nodes.find((n) => n.stage === stage),
  };
}

/** Depth-first post-order from the given roots: every node after its inputs, inputs in slot order. */
function topologicalOrder(nodes: Map<string, LineageNode>, roots: string[]): LineageNode[] {
  const out: LineageNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === 'done') return;
    // a cycle cannot come from content-addressed keys; stop rather than recurse forever
    if (s === 'open') return;
    state.set(id, 'open');
    const n = nodes.get(id);
    if (n) {
      for (const dep of Object.values(n.inputs)) visit(dep);
      out.push(n);
    }
    state.set(id, 'done');
  };
  for (const id of roots) visit(id);
  return out;
}

export type RunStatus = 'cached' | 'run' | 'failed' | 'skipped';

export interface RunRecord {
  run: string;
  at?: string;
  variant?: string;
  status: RunStatus;
  seconds: number;
  /** where it was last computed (`GPU 1 (name), backend, threads` or `CPU, ...`), from the run log's place */
  where?: string;
}

/** A run log line's `place` (lib/exec/stage-place.ts) in a few words, or undefined when it has none. */
export function placeWords(place: unknown): string | undefined {
  if (!place || typeof place !== 'object') return undefined;
  const p = place as Record<string, unknown>;
  if (typeof p.backend !== 'string' || typeof p.threads !== 'number') return undefined;
  const card = (x: unknown): { index: number; name: string; simulated: boolean } | null => {
    const c = x && typeof x === 'object' ? (x as Record<string, unknown>) : null;
    return c && typeof c.index === 'number' ? { index: c.index, name: String(c.name), simulated: c.simulated === true } : null;
  };
  const own = card(p.gpu);
  // a per-item stage spread over more cards lists them after its own (`GPUs 1, 0 (Tesla T4)`)
  const extra = Array.isArray(p.shards) ? p.shards.map((s) => card((s as { gpu?: unknown } | null)?.gpu)) : [];
  const cards = own ? [own, ...extra.filter((c) => c !== null)] : [];
  const names = new Set(cards.map((c) => c.name));
  const listed = names.size === 1 ? `${cards.map((c) => c.index).join(', ')} (${cards[0].name})` : cards.map((c) => `${c.index} (${c.name})`).join(', ');
  const where = own ? `GPU${cards.length > 1 ? 's' : ''} ${listed}${own.simulated ? ' simulated' : ''}` : 'CPU';
  return `${where}, ${p.backend === 'none' ? 'no tensors' : p.backend}, ${p.threads} thread${p.threads === 1 ? '' : 's'}`;
}

/**
 * The last decision recorded for each stage key in cache/runs/runs.jsonl (`<stage>@<key>` -> entry):
 * whether the latest run that touched the key computed it or found it cached. Unreadable lines are
 * skipped (a run killed mid-append can leave a torn last line).
 */
export async function readRunLog(cacheRoot: string): Promise<Map<string, RunRecord>> {
  const out = new Map<string, RunRecord>();
  const places = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(join(cacheRoot, 'runs', 'runs.jsonl'), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (!e || typeof e !== 'object') continue;
    const r = e as Record<string, unknown>;
    if (typeof r.stage !== 'string' || typeof r.key !== 'string') continue;
    // where it was computed: a local run's 'run' line, or a worker's 'committed' event (which has no status)
    const where = placeWords(r.place);
    if (where) places.set(nodeId(r.stage, r.key), where);
    if (typeof r.status !== 'string') continue;
    out.set(nodeId(r.stage, r.key), {
      run: String(r.run ?? ''),
      at: typeof r.at === 'string' ? r.at : undefined,
      variant: typeof r.variant === 'string' ? r.variant : undefined,
      status: r.status as RunStatus,
      seconds: typeof r.seconds === 'number' ? r.seconds : NaN,
    });
  }
  for (const [id, where] of places) {
    const r = out.get(id);
    if (r) r.where = where;
  }
  return out;
}

/** Short form of a key for display (as the CLI prints it). */
export const shortKey = (key: string): string => key.slice(0, 12);
