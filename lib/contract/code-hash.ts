// A stage's code identity: its module plus every project file it imports, statically or with a
// dynamic import(), followed transitively. Packages in node_modules are not followed: their
// versions are pinned by the lockfile.
//
// The identity is independent of where the files live and of how an import is spelled, so moving
// or renaming a file keeps every cached artifact: a file counts by its text with each relative
// import specifier replaced by what it points at (the target's text, imports blanked; a cycle-free
// stand-in for "the target"), and the stage by the sorted list of its files' identities.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { sha256 } from '../store/hash.ts';

// type-only imports vanish at run time, so they cannot change what a stage computes
const TYPE_IMPORT_RE = /\b(?:import|export)\s+type\s[^;'"]*?from\s*(['"])[^'"]+\1/g;
const IMPORT_RE = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew\s+URL\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;
const EXTENSIONS = ['', '.ts', '.mts', '.js', '.mjs', '/index.ts'];

interface Scanned {
  /** 'none' for a module outside every stage's identity (below) */
  identity: string;
  deps: string[];
}

const scanned = new Map<string, Scanned>();
/** file -> hash of its text with relative specifiers blanked ('none' as above): what an importer sees of it */
const seenByImporters = new Map<string, string>();

/**
 * A module whose first lines say `@dcsp-code-hash: none` declares that it cannot change what any
 * stage computes (the stage contract: types and an identity `defineStage`), so editing it does
 * not invalidate every cached artifact. Its imports are not followed either.
 */
const NO_HASH = /^(?:\/\/[^\n]*\n)*\/\/ @dcsp-code-hash: none\b/;

function resolveImport(fromDir: string, spec: string): string | null {
  const base = resolve(fromDir, spec);
  for (const ext of EXTENSIONS) {
    const p = base + ext;
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return null;
}

function read(file: string): { text: string; none: boolean } {
  const text = readFileSync(file, 'utf8');
  return { text, none: NO_HASH.test(text) };
}

function asImported(file: string): string {
  let hash = seenByImporters.get(file);
  if (hash === undefined) {
    const { text, none } = read(file);
    hash = none ? 'none' : sha256(text.replace(IMPORT_RE, (_m, lead: string, q: string) => `${lead}${q}${q}`));
    seenByImporters.set(file, hash);
  }
  return hash;
}

function scan(file: string): Scanned {
  const known = scanned.get(file);
  if (known) return known;
  const { text, none } = read(file);
  if (none) {
    const entry = { identity: 'none', deps: [] };
    scanned.set(file, entry);
    return entry;
  }
  const dir = dirname(file);
  const typeOnly = new Set<number>();
  for (const m of text.matchAll(TYPE_IMPORT_RE)) typeOnly.add(m.index + m[0].length);
  const deps: string[] = [];
  // a runtime import becomes the target's blanked text hash; a type-only one, a fixed token
  const identityText = text.replace(IMPORT_RE, (m, lead: string, q: string, spec: string, offset: number) => {
    const target = resolveImport(dir, spec);
    if (typeOnly.has(offset + m.length)) return `${lead}${q}type${q}`;
    if (!target) return m;
    deps.push(target);
    return `${lead}${q}${asImported(target)}${q}`;
  });
  const entry = { identity: sha256(identityText), deps };
  scanned.set(file, entry);
  return entry;
}

/** Files reachable from `module` by relative runtime imports, sorted, as paths relative to `root`. */
export function codeFiles(module: string, root: string): { path: string; identity: string }[] {
  const seen = new Set<string>();
  const stack = [resolve(module)];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...scan(f).deps);
  }
  return [...seen]
    .filter((f) => scan(f).identity !== 'none')
    .map((f) => ({ path: relative(root, f).split(sep).join('/'), identity: scan(f).identity }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

export function codeHash(module: string, root: string): string {
  const identities = codeFiles(module, root)
    .map((f) => f.identity)
    .sort();
  return sha256('dcsp-code/2', ...identities);
}

/** For long-lived processes (tests) that edit code between runs. */
export function forgetCodeHashes(): void {
  scanned.clear();
  seenByImporters.clear();
}
