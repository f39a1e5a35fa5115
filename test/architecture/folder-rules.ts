// Which folders of lib/ each folder may import: one rule per folder, so a folder added without
// saying where it sits in the house fails the test, and an import across folders that its rule
// does not name is an arrow out of place. The modules directly in lib/ (errors, paths, types,
// format, scalar-sink) are the floor: any folder may import them, they import no folder.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Edge } from './import-graph.ts';

export interface FolderRule {
  /** the folders of lib/ it may import (itself and lib/*.ts always) */
  may: readonly string[];
  /** where it sits, in a few words */
  why: string;
}

/** Bottom to top: a folder names only folders listed above it (exec and watch excepted, KNOWN_CYCLES). */
export const FOLDER_RULES: Readonly<Record<string, FolderRule>> = {
  store: { may: [], why: 'artifacts on disk: content-addressed folders, Zarr, manifests' },
  tensor: { may: [], why: 'tensor kernels, optimisers and numerics setup' },
  metrics: { may: [], why: 'scores over label maps and saliency maps' },
  crf: { may: [], why: 'the dense CRF' },
  native: { may: [], why: 'building the tfjs-node binding (a command of its own)' },
  gpu: { may: [], why: 'the GPUs a command may use (nvidia-smi, --gpus) and what a stage process holding one sees' },
  registry: { may: [], why: "named things (detectors, sources) and the plugins' state; the loader is installed from above" },
  data: { may: ['store', 'registry'], why: 'datasets (extraction writes through the store)' },
  model: { may: ['tensor', 'data', 'metrics'], why: 'the networks and their training' },
  saliency: { may: ['tensor', 'data', 'model', 'registry'], why: 'the saliency detectors' },
  predict: { may: ['model', 'crf'], why: "one image's prediction as eval computes it (eval and `pipeline predict`)" },
  contract: { may: ['store', 'tensor'], why: 'the stage contract, code identity and key recipe' },
  plugins: { may: ['registry', 'contract', 'data', 'saliency'], why: "a project's own detectors and sources: checked, imported, hashed" },
  layouts: { may: ['store', 'data'], why: 'what each artifact kind holds' },
  dag: { may: ['contract', 'store', 'tensor', 'plugins'], why: 'pipeline.yaml resolved (never the executor)' },
  exec: { may: ['dag', 'contract', 'store', 'tensor', 'watch', 'plugins', 'gpu'], why: 'the executor, which writes the run facts of watch' },
  watch: { may: ['store', 'exec'], why: "run facts beside the artifacts; reads exec's locks and their lease" },
  distributed: { may: ['dag', 'contract', 'store', 'tensor', 'exec', 'gpu'], why: "exec's seams on BullMQ workers" },
  report: { may: ['store', 'data', 'layouts'], why: 'the HTML report from artifacts' },
  doctor: {
    may: ['dag', 'contract', 'tensor', 'gpu', 'data', 'model', 'saliency', 'crf'],
    why: '`pipeline doctor`: measures the method on this machine (on one of the GPUs)',
  },
  work: {
    may: ['contract', 'store', 'tensor', 'data', 'model', 'saliency', 'crf', 'predict', 'metrics', 'layouts', 'report', 'exec'],
    why: "each stage's work, loaded by the executor from the declaration's reference (a shared download takes exec's lock)",
  },
  cli: {
    may: [
      'store',
      'tensor',
      'metrics',
      'crf',
      'native',
      'gpu',
      'data',
      'model',
      'saliency',
      'predict',
      'contract',
      'plugins',
      'layouts',
      'dag',
      'exec',
      'watch',
      'distributed',
      'report',
      'doctor',
    ],
    why: 'the commands: the top',
  },
};

/**
 * Folder pairs that import each other, with what would part them. exec writes run facts through
 * watch's writers (stage-runner, executor); watch's reader of keys in progress (in-progress.ts) and
 * its writers' host name come from exec's lock and lease. Moving that reader up to cli, and the
 * host name down, would make watch a plain layer under exec.
 */
export const KNOWN_CYCLES: readonly (readonly string[])[] = [['exec', 'watch']];

/**
 * Single imports that break a rule while another change removes them; each is checked to still
 * exist, so one that is gone fails the test until it is deleted here.
 */
export const PENDING_EXCEPTIONS: readonly { edge: Edge; why: string }[] = [];

/** The folders directly under lib/. */
export function libFolders(root: string): string[] {
  return readdirSync(join(root, 'lib'))
    .filter((name) => statSync(join(root, 'lib', name)).isDirectory())
    .sort();
}

export function foldersWithoutRule(folders: readonly string[], rules: Readonly<Record<string, FolderRule>> = FOLDER_RULES): string[] {
  return folders.filter((f) => !Object.hasOwn(rules, f));
}

/** Rules naming a folder that is not there (a folder renamed or removed). */
export function unknownFoldersInRules(folders: readonly string[], rules: Readonly<Record<string, FolderRule>> = FOLDER_RULES): string[] {
  const known = new Set(folders);
  return Object.entries(rules).flatMap(([f, r]) => [f, ...r.may].filter((x) => !known.has(x)).map((x) => `${f}: ${x}`));
}

const folderOf = (path: string): string | null => /^lib\/([^/]+)\//.exec(path)?.[1] ?? null;
const isRootModule = (path: string): boolean => /^lib\/[^/]+$/.test(path);

/** One line per import between lib/ folders that the importing folder's rule does not allow. */
export function folderViolations(
  edges: readonly Edge[],
  rules: Readonly<Record<string, FolderRule>> = FOLDER_RULES,
  exceptions: readonly { edge: Edge }[] = PENDING_EXCEPTIONS,
): string[] {
  const excepted = new Set(exceptions.map(({ edge }) => `${edge.from} -> ${edge.to}`));
  const out: string[] = [];
  for (const { from, to } of edges) {
    const b = folderOf(to);
    if (!b || excepted.has(`${from} -> ${to}`)) continue;
    if (isRootModule(from)) {
      out.push(`${from} -> ${to}: a module of lib/ itself imports the folder ${b} (they are the floor)`);
      continue;
    }
    const a = folderOf(from);
    if (!a || a === b) continue;
    const rule = rules[a];
    if (!rule) out.push(`${from} -> ${to}: lib/${a} has no folder rule`);
    else if (!rule.may.includes(b)) out.push(`${from} -> ${to}: ${a} may not import ${b} (it may import ${rule.may.join(', ') || 'no folder'})`);
  }
  return out;
}

/** The groups of folders whose rules let them reach each other (each sorted), in name order. */
export function ruleCycles(rules: Readonly<Record<string, FolderRule>> = FOLDER_RULES): string[][] {
  const reach = (start: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [...(rules[start]?.may ?? [])];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...(rules[f]?.may ?? []));
    }
    return seen;
  };
  const reaches = new Map(Object.keys(rules).map((f) => [f, reach(f)]));
  const groups = new Map<string, string[]>();
  for (const f of [...reaches.keys()].sort()) {
    if (!reaches.get(f)!.has(f)) continue;
    const group = [...reaches.keys()].filter((g) => reaches.get(f)!.has(g) && reaches.get(g)!.has(f)).sort();
    groups.set(group.join(' '), group);
  }
  return [...groups.values()];
}
