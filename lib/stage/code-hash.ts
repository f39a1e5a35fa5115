// A stage's code identity: its module plus every project file it imports, statically or with a
// dynamic import(), followed transitively. Packages in node_modules are not followed: their
// versions are pinned by the lockfile.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { sha256 } from '../store/hash.ts';

// type-only imports vanish at run time, so they cannot change what a stage computes
const TYPE_IMPORT_RE = /\b(?:import|export)\s+type\s[^;'"]*?from\s*(['"])[^'"]+\1/g;
const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew\s+URL\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;
const EXTENSIONS = ['', '.ts', '.mts', '.js', '.mjs', '/index.ts'];

const fileHashes = new Map<string, { hash: string; deps: string[] }>();

/**
 * A module whose first lines say `@dcsp-code-hash: none` declares that it cannot change what any
 * stage computes (the stage contract: types and an identity `defineStage`), so editing it does
 * not invalidate every cached artifact. Its imports are not followed either.
 */
const NO_HASH = /^(?:\/\/[^\n]*\n)*\/\/ @dcsp-code-hash: none\b/;

function scan(file: string): { hash: string; deps: string[] } {
  let entry = fileHashes.get(file);
  if (entry) return entry;
  const text = readFileSync(file);
  if (NO_HASH.test(text.toString('utf8'))) {
    entry = { hash: 'none', deps: [] };
    fileHashes.set(file, entry);
    return entry;
  }
  const deps: string[] = [];
  for (const m of text.toString('utf8').replace(TYPE_IMPORT_RE, '').matchAll(IMPORT_RE)) {
    const target = resolveImport(dirname(file), m[2]);
    if (target) deps.push(target);
  }
  entry = { hash: sha256(text), deps };
  fileHashes.set(file, entry);
  return entry;
}

function resolveImport(fromDir: string, spec: string): string | null {
  const base = resolve(fromDir, spec);
  for (const ext of EXTENSIONS) {
    const p = base + ext;
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return null;
}

/** Files reachable from `module` by relative imports, sorted, as paths relative to `root`. */
export function codeFiles(module: string, root: string): { path: string; hash: string }[] {
  const seen = new Set<string>();
  const stack = [resolve(module)];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...scan(f).deps);
  }
  return [...seen]
    .filter((f) => scan(f).hash !== 'none')
    .map((f) => ({ path: relative(root, f).split(sep).join('/'), hash: scan(f).hash }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

export function codeHash(module: string, root: string): string {
  return sha256(...codeFiles(module, root).map((f) => `${f.path} ${f.hash}`));
}

/** For long-lived processes (tests) that edit code between runs. */
export function forgetCodeHashes(): void {
  fileHashes.clear();
}
