// What an artifact holds is agreed in one place: each per-item array name is written once, in one
// layout module of lib/layouts, and every producer, consumer and the report go through it.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './import-graph.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DEFINITION = /new ItemMaps8?\(\s*(['"])([^'"]+)\1\s*\)/g;

/** name -> the layout modules that define it */
function definitions(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of sourceFiles(ROOT, 'lib/layouts')) {
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(DEFINITION)) out.set(m[2], [...(out.get(m[2]) ?? []), f]);
  }
  return out;
}

/**
 * Places where a literal names an item array: an `items('...')` call, a key or member of an
 * `arrays` object, the arrays an item table lists. `names` are checked where a literal could be an
 * array name in a context that only arrays have.
 */
function strayArrayLiterals(file: string, text: string, names: readonly string[]): string[] {
  const alt = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const patterns = [
    /\.items\(\s*['"`]/g,
    new RegExp(`\\barrays\\s*(?::|=)\\s*\\{[^}]*?\\b(?:${alt})\\s*:`, 'g'),
    new RegExp(`\\barrays\\s*(?:\\.\\s*(?:${alt})\\b|\\[\\s*['"\`])`, 'g'),
    /\barrays\s*\.\s*includes\(\s*['"`]/g,
  ];
  const out: string[] = [];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) out.push(`${file}:${text.slice(0, m.index).split('\n').length}: ${m[0].replace(/\s+/g, ' ')}`);
  }
  return out;
}

describe('artifact array names', () => {
  const defs = definitions();

  it('each is defined in exactly one layout module', () => {
    expect([...defs.keys()].sort()).toEqual(['attention', 'classes', 'cue', 'mask', 'prediction', 'raw', 's']);
    for (const [name, files] of defs) expect(files, `array ${name}`).toHaveLength(1);
  });

  it('no module outside lib/layouts names an array by a literal', () => {
    const names = [...defs.keys()];
    // the executor and the store handle arrays generically, by the names stages hand them
    const files = ['lib', 'stages'].flatMap((d) => sourceFiles(ROOT, d)).filter((f) => !/^lib\/(layouts|exec|store)\//.test(f));
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => strayArrayLiterals(f, readFileSync(join(ROOT, f), 'utf8'), names))).toEqual([]);
  });

  it('would catch a stray literal of each kind', () => {
    const names = ['cue', 's', 'prediction'];
    const src = [
      "const c = await ctx.inputs.cues.items('cue');",
      'return { arrays: { cue: { data, shape } } };',
      'const s = (await read(i)).arrays.s;',
      "const p = r.arrays['prediction'];",
      "const hasRaw = state.arrays.includes('raw');",
      'return { arrays: CUES.map(cue, w, h) };',
      'const s = SALIENCY.mapOf(await read(i));',
    ].join('\n');
    expect(strayArrayLiterals('made-up.ts', src, names)).toEqual([
      "made-up.ts:1: .items('",
      'made-up.ts:2: arrays: { cue:',
      'made-up.ts:3: arrays.s',
      "made-up.ts:4: arrays['",
      "made-up.ts:5: arrays.includes('",
    ]);
  });
});
