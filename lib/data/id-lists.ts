// Split id lists: reading ImageSets-style files, set arithmetic, and count checks whose errors name
// the ids that differ (first few and how many) rather than just two numbers.

import { readFile, writeFile } from 'node:fs/promises';

export class SplitCountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitCountError';
  }
}

/** "a, b, c and 7 more" (at most `shown` ids spelled out) */
export function formatIds(ids: readonly string[], shown = 5): string {
  if (ids.length <= shown) return ids.join(', ');
  return `${ids.slice(0, shown).join(', ')} and ${ids.length - shown} more`;
}

/** Read a list file: one id per line (anything after the first whitespace ignored), blank lines skipped. */
export async function readIdList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read id list (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const ids: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const id = line.trim().split(/\s+/)[0];
    if (id) ids.push(id);
  }
  return ids;
}

export async function writeIdList(path: string, ids: readonly string[]): Promise<void> {
  await writeFile(path, ids.length ? `${ids.join('\n')}\n` : '');
}

export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

/** Ids in `a` not in `b`, in `a`'s order. */
export function difference(a: readonly string[], b: Iterable<string>): string[] {
  const drop = new Set(b);
  return a.filter((id) => !drop.has(id));
}

/** Union in first-seen order. */
export function union(...lists: (readonly string[])[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const list of lists) {
    for (const id of list) {
      if (!seen.has(id)) {
        seen.add(id);
        out.push(id);
      }
    }
  }
  return out;
}

export type ExpectedIds = number | readonly string[];

/**
 * Check a split against an expected count or an expected id list. With a list, the error names the
 * missing and the extra ids; with only a count, `hints` (e.g. ids dropped for lack of files) are
 * what the error can name.
 */
export function checkSplit(split: string, ids: readonly string[], expected: ExpectedIds | undefined, hints: string[] = []): void {
  if (expected === undefined) return;
  if (typeof expected === 'number') {
    if (ids.length === expected) return;
    const diff = ids.length - expected;
    throw new SplitCountError(
      `${split}: ${ids.length} ids, expected ${expected} (${diff > 0 ? `${diff} extra` : `${-diff} missing`})` +
        (hints.length ? `; ${hints.join('; ')}` : '; pass the reference id list as expectedCounts to name the ids'),
    );
  }
  const missing = difference(expected, ids);
  const extra = difference(ids, expected);
  if (missing.length === 0 && extra.length === 0) return;
  const parts: string[] = [];
  if (missing.length) parts.push(`missing ${missing.length}: ${formatIds(missing)}`);
  if (extra.length) parts.push(`extra ${extra.length}: ${formatIds(extra)}`);
  throw new SplitCountError(`${split}: ${ids.length} ids, expected ${expected.length}; ${parts.join('; ')}${hints.length ? `; ${hints.join('; ')}` : ''}`);
}
