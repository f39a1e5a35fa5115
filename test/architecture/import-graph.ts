// The project's import graph as the layering rules see it: every relative import (static, dynamic,
// type-only, `new URL(...)`) of every module under lib/ and stages/, and the rules themselves.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

export interface Edge {
  /** repository-relative, '/'-separated */
  from: string;
  to: string;
}

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew\s+URL\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;
const SOURCE = /\.(ts|mts|mjs)$/;

export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...sourceFiles(root, rel));
    else if (SOURCE.test(name)) out.push(rel);
  }
  return out.sort();
}

export function importsOf(file: string, text: string): Edge[] {
  return [...text.matchAll(IMPORT_RE)].map((m) => ({ from: file, to: normalize(join(dirname(file), m[2])).split(sep).join('/') }));
}

export function importGraph(root: string): Edge[] {
  return ['lib', 'stages'].flatMap((d) => sourceFiles(root, d)).flatMap((f) => importsOf(f, readFileSync(join(root, f), 'utf8')));
}

/** The stage names: one module per stage in stages/. */
export function stageNames(root: string): string[] {
  return sourceFiles(root, 'stages')
    .map((f) => relative('stages', f).replace(/\.ts$/, ''))
    ;
}

/** The libraries of the method: they know nothing of stages, keys, the executor or the command line. */
export const DOMAIN = ['tensor', 'data', 'saliency', 'model', 'crf', 'metrics'];
const ABOVE_DOMAIN = ['exec', 'steps', 'cli', 'dag', 'stage', 'doctor', 'layouts', 'report', 'watch'];

function libFolder(path: string): string | null {
  const m = /^lib\/([^/]+)\//.exec(path);
  return m ? m[1] : null;
}

/**
 * lib/steps/<name>.ts (params and entry) or lib/steps/body/<name>.ts (the work) where <name> is a
 * stage: that stage's step (the other files there are shared pieces).
 */
function stepBody(path: string, stages: readonly string[]): string | null {
  const m = /^lib\/steps\/(?:body\/)?([^/]+)\.ts$/.exec(path);
  return m && stages.includes(m[1]) ? m[1] : null;
}

/** One line per import that breaks a layering rule; empty when the house is in order. */
export function layeringViolations(edges: readonly Edge[], stages: readonly string[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = libFolder(from);
    const b = libFolder(to);
    const say = (rule: string): void => void out.push(`${from} -> ${to}: ${rule}`);
    if (from.startsWith('lib/') && to.startsWith('stages/')) say('lib/ imports stages/');
    if (a && DOMAIN.includes(a) && b && ABOVE_DOMAIN.includes(b)) say(`the domain folder ${a} imports ${b}`);
    if (a === 'dag' && b === 'exec') say('dag imports exec');
    if (a === 'stage' && (b === 'dag' || b === 'exec')) say(`the stage contract imports ${b}`);
    if (a === 'layouts' && (b === 'steps' || b === 'exec' || b === 'report')) say(`a layout imports ${b}`);
    const bodyTo = stepBody(to, stages);
    if (bodyTo) {
      const bodyFrom = stepBody(from, stages);
      if (bodyFrom && bodyFrom !== bodyTo) say(`the step ${bodyFrom} imports the step ${bodyTo}`);
      const stage = /^stages\/([^/]+)\.ts$/.exec(from)?.[1];
      if (stage && stages.includes(stage) && stage !== bodyTo) say(`the stage ${stage} imports the step ${bodyTo}`);
      if (a && a !== 'steps') say(`lib/${a} imports the step ${bodyTo}`);
    }
  }
  return out;
}

/** Folders and their arrows (with the count of imports behind each), for the record. */
export function folderArrows(edges: readonly Edge[]): string[] {
  const folder = (p: string): string => libFolder(p) ?? (p.startsWith('lib/') ? 'lib' : p.split('/')[0]);
  const n = new Map<string, number>();
  for (const e of edges) {
    const [a, b] = [folder(e.from), folder(e.to)];
    if (a !== b && b !== 'lib') n.set(`${a} -> ${b}`, (n.get(`${a} -> ${b}`) ?? 0) + 1);
  }
  return [...n].sort().map(([k, v]) => `${k} (${v})`);
}

const STATIC_RE = /^\s*(?:import|export)\s+(?!type\s)[^;]*?from\s*(['"])([^'"]+)\1/gm;

/** The packages a module loads at start, following its static (not type-only, not dynamic) relative imports. */
export function staticPackages(root: string, file: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  for (const m of readFileSync(join(root, file), 'utf8').matchAll(STATIC_RE)) {
    const spec = m[2];
    if (!spec.startsWith('.')) out.add(spec);
    else for (const p of staticPackages(root, normalize(join(dirname(file), spec)).split(sep).join('/'), seen)) out.add(p);
  }
  return out;
}
