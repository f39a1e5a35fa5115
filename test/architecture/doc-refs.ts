// What the project's prose points at: every relative markdown link (with its #anchor) and every
// repository path written in backticks, in a markdown text, so that a moved or deleted file shows
// up as a broken pointer rather than as a reader's dead end.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';

export interface DocRef {
  /** repository-relative, '/'-separated file the reference is written in */
  file: string;
  line: number;
  kind: 'link' | 'path';
  /** as written: a link target (path#anchor) or a backticked path */
  target: string;
}

/** Top folders whose files prose names by repository path (`lib/x/y.ts`), and root files named bare. */
const REPO_DIRS = ['lib', 'stages', 'test', 'bench', 'bin', 'docs', '.ci'];
const ROOT_FILES = new Set(['pipeline.yaml', 'package.json', 'README.md']);
// placeholders (`lib/work/<X>.ts`), globs and shell variables are patterns, not paths
const NOT_A_PATH = /[<>*{}$|]|\.\.\./;

/** The text with fenced code blocks blanked (line count kept): commands and trees there are examples. */
export function withoutFences(text: string): string {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** A backticked word that names a repository file or folder, or null. */
export function repoPath(word: string): string | null {
  const w = word.replace(/^[("']+/, '').replace(/[)"',.:;]+$/, '');
  if (NOT_A_PATH.test(w)) return null;
  if (ROOT_FILES.has(w)) return w;
  const parts = w.split('/');
  if (parts.length < 2 || !REPO_DIRS.includes(parts[0])) return null;
  // git-ignored working folders (test/.cache/, .cache/) are made by runs, not kept in the repository
  if (parts.slice(1).some((p) => p.startsWith('.'))) return null;
  return w;
}

export function docRefs(file: string, text: string): DocRef[] {
  const prose = withoutFences(text);
  const refs: DocRef[] = [];
  for (const m of prose.matchAll(/!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(m[1])) continue; // https:, mailto:
    refs.push({ file, line: lineAt(prose, m.index), kind: 'link', target: m[1] });
  }
  // code spans may wrap onto the next line; links are taken out first so their text is not read twice
  const spans = prose.replace(/\[[^\]\n]*\]\([^)\s]+\)/g, (s) => ' '.repeat(s.length));
  for (const m of spans.matchAll(/`([^`]+)`/g)) {
    for (const word of m[1].split(/\s+/)) {
      const path = repoPath(word);
      if (path) refs.push({ file, line: lineAt(spans, m.index), kind: 'path', target: path });
    }
  }
  // and paths written in plain prose, "(lib/exec/compute-stage.ts: the key's lock ...)"
  const plain = spans.replace(/`[^`]+`/g, (s) => s.replace(/[^\n]/g, ' '));
  for (const m of plain.matchAll(new RegExp(`(?<![\\w./-])(?:${REPO_DIRS.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./-]*\\w`, 'g'))) {
    const path = repoPath(m[0]);
    if (path) refs.push({ file, line: lineAt(plain, m.index), kind: 'path', target: path });
  }
  return refs;
}

/** GitHub's anchor for a heading: lower case, markdown and punctuation dropped, spaces to '-'. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(text).split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/**
 * Each reference that leads nowhere, as `file:line: target (why)`. `pages` holds texts not (yet) on
 * disk, by repository path, for their own anchors.
 */
export function brokenRefs(root: string, refs: DocRef[], pages: ReadonlyMap<string, string> = new Map()): string[] {
  const anchors = new Map<string, Set<string>>();
  const anchorsIn = (rel: string): Set<string> => {
    let a = anchors.get(rel);
    if (!a) {
      a = anchorsOf(pages.get(rel) ?? readFileSync(join(root, rel), 'utf8'));
      anchors.set(rel, a);
    }
    return a;
  };
  const broken: string[] = [];
  for (const r of refs) {
    const where = `${r.file}:${r.line}: ${r.target}`;
    if (r.kind === 'path') {
      if (!existsSync(join(root, r.target))) broken.push(`${where} (no such path in the repository)`);
      continue;
    }
    const [path, anchor] = r.target.split('#', 2);
    const rel = path
      ? normalize(join(dirname(r.file), decodeURIComponent(path)))
          .split(sep)
          .join('/')
      : r.file;
    if (rel.startsWith('..')) {
      broken.push(`${where} (leads out of the repository)`);
      continue;
    }
    if (!pages.has(rel) && !existsSync(join(root, rel))) {
      broken.push(`${where} (no such file: ${rel})`);
      continue;
    }
    if (anchor && rel.endsWith('.md') && !anchorsIn(rel).has(anchor)) broken.push(`${where} (no heading with anchor #${anchor} in ${rel})`);
  }
  return broken;
}

/** Repository-relative paths that the links reach (anchors dropped). */
export function linkedFiles(refs: DocRef[]): Set<string> {
  const out = new Set<string>();
  for (const r of refs) {
    const path = r.kind === 'link' ? r.target.split('#')[0] : '';
    if (path)
      out.add(
        normalize(join(dirname(r.file), path))
          .split(sep)
          .join('/'),
      );
  }
  return out;
}
