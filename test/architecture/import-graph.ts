// The project's import graph as the layering rules see it: every relative import (static, dynamic,
// type-only, `new URL(...)`) of every module under lib/ and stages/, and the rules themselves.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

export interface Edge {
  /** repository-relative, '/'-separated */
  from: string;
  to: string;
  /** static import, dynamic import(), type-only import, or a `new URL(...)` reference (no import at all) */
  kind: 'static' | 'dynamic' | 'type' | 'url';
}

const IMPORT_RE = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew\s+URL\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;
const TYPE_IMPORT_RE = /\b(?:import|export)\s+type\s[^;'"]*?from\s*(['"])[^'"]+\1/g;
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
  const typeOnly = new Set([...text.matchAll(TYPE_IMPORT_RE)].map((m) => m.index + m[0].length));
  return [...text.matchAll(IMPORT_RE)].map((m) => {
    const kind = typeOnly.has(m.index + m[0].length) ? 'type' : /^new/.test(m[1]) ? 'url' : /\($/.test(m[1].trimEnd()) ? 'dynamic' : 'static';
    return {
      from: file,
      to: normalize(join(dirname(file), m[3]))
        .split(sep)
        .join('/'),
      kind,
    };
  });
}

export function importGraph(root: string): Edge[] {
  return ['lib', 'stages'].flatMap((d) => sourceFiles(root, d)).flatMap((f) => importsOf(f, readFileSync(join(root, f), 'utf8')));
}

/** The stage names: one declaration per stage in stages/ (stages/shared/ holds the pieces they share). */
export function stageNames(root: string): string[] {
  return sourceFiles(root, 'stages')
    .map((f) => relative('stages', f).replace(/\.ts$/, ''))
    .filter((name) => !name.includes('/'));
}

/** The libraries of the method: they know nothing of stages, keys, the executor or the command line. */
export const DOMAIN = ['tensor', 'data', 'saliency', 'model', 'crf', 'metrics'];
const ABOVE_DOMAIN = ['exec', 'work', 'cli', 'dag', 'contract', 'doctor', 'layouts', 'report', 'watch'];

function libFolder(path: string): string | null {
  const m = /^lib\/([^/]+)\//.exec(path);
  return m ? m[1] : null;
}

/** stages/<name>.ts where <name> is a stage: that stage's declaration. */
function declarationOf(path: string, stages: readonly string[]): string | null {
  const m = /^stages\/([^/]+)\.ts$/.exec(path);
  return m && stages.includes(m[1]) ? m[1] : null;
}

/** lib/work/<name>.ts where <name> is a stage: that stage's work (the other files there are shared pieces). */
function workOf(path: string, stages: readonly string[]): string | null {
  const m = /^lib\/work\/([^/]+)\.ts$/.exec(path);
  return m && stages.includes(m[1]) ? m[1] : null;
}

/**
 * What a declaration (or a shared piece of declarations, stages/shared/) may import at run time:
 * the contract, the layouts, the shared pieces, and the domain libraries' light vocabulary (an
 * enum, a spec schema, the report's slots), whose lightness staticPackages checks.
 */
function lightForDeclarations(path: string): boolean {
  const folder = libFolder(path);
  return (
    path === 'lib/contract/stage.ts' ||
    path === 'lib/contract/item-batches.ts' ||
    path === 'lib/report/slots.ts' ||
    path.startsWith('stages/shared/') ||
    folder === 'layouts' ||
    (folder !== null && DOMAIN.includes(folder))
  );
}

/** The rules of a stage's two halves: its declaration (stages/) and its work (lib/work/). */
function stageViolations(edge: Edge, edges: readonly Edge[], stages: readonly string[]): string[] {
  const { from, to, kind } = edge;
  const out: string[] = [];
  const decl = declarationOf(from, stages);
  const declTo = declarationOf(to, stages);
  const work = workOf(from, stages);
  const workTo = workOf(to, stages);
  const who = decl
    ? `the declaration ${decl}`
    : work
      ? `the work of ${work}`
      : from.startsWith('lib/work/')
        ? 'a shared work piece'
        : from.startsWith('stages/')
          ? 'a shared param piece'
          : from.startsWith('lib/')
            ? 'lib/'
            : from;
  if (declTo) {
    // the only way in: its own work, for the params type
    if (!(work === declTo && kind === 'type')) out.push(`${who} imports the declaration ${declTo}${work === declTo ? ' at run time (import type only)' : ''}`);
  } else if (from.startsWith('lib/') && to.startsWith('stages/')) {
    out.push(`${who} imports stages/`);
  }
  if (workTo && !(decl === workTo && kind === 'url')) {
    out.push(decl === workTo ? `the declaration ${decl} imports its work (name it by new URL)` : `${who} reaches the work of ${workTo}`);
  }
  if (from.startsWith('stages/') && !declTo && !workTo && kind !== 'type' && !lightForDeclarations(to)) {
    out.push(`${who} imports ${to}, which is not the contract, a layout or a shared param piece`);
  }
  // the circle the split into two files used to make: a type one way, a dynamic import the other
  if (decl && decl === workTo && kind !== 'url' && edges.some((e) => e.from === to && e.to === from)) {
    out.push(`the declaration and the work of ${decl} import each other`);
  }
  return out;
}

/** One line per import that breaks a layering rule; empty when the house is in order. */
export function layeringViolations(edges: readonly Edge[], stages: readonly string[]): string[] {
  const out: string[] = [];
  for (const edge of edges) {
    const { from, to } = edge;
    const a = libFolder(from);
    const b = libFolder(to);
    const say = (rule: string): void => void out.push(`${from} -> ${to}: ${rule}`);
    if (a && DOMAIN.includes(a) && b && ABOVE_DOMAIN.includes(b)) say(`the domain folder ${a} imports ${b}`);
    if (a === 'dag' && b === 'exec') say('dag imports exec');
    if (a === 'contract' && (b === 'dag' || b === 'exec')) say(`the stage contract imports ${b}`);
    if (a === 'layouts' && (b === 'work' || b === 'exec' || b === 'report')) say(`a layout imports ${b}`);
    for (const rule of stageViolations(edge, edges, stages)) say(rule);
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
    else
      for (const p of staticPackages(
        root,
        normalize(join(dirname(file), spec))
          .split(sep)
          .join('/'),
        seen,
      ))
        out.add(p);
  }
  return out;
}
