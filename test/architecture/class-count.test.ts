// The class list is data: every stage takes the class count and names from the dataset artifact
// (lib/layouts/dataset.ts), so VOC's 21 (background + 20) is written nowhere in the code. The class
// tables are the only place a class count lives: VOC_CLASSES (lib/types.ts, shared by the toy set)
// and TOY_CLASSES (lib/data/toy-classes.ts), each counted by its length. This test fails on a new
// literal 20 or 21 in lib/ or stages/ that the list below does not explain, and on the old
// constants' names.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './import-graph.ts';

const ROOT = resolve(import.meta.dirname, '../..');
// 20 or 21 as a number of its own: not part of a longer number or name (2.21.0, x20), but in a range (1..20)
const LITERAL = /(?<!\w|\d\.)(20|21)(?!\w|\.\d)/;

/** Literals 20 and 21 that are not class counts: file, the line's code, and why it is not one. */
const NOT_CLASS_COUNTS: { file: string; code: RegExp; why: string }[] = [
  { file: 'lib/crf/dense-crf.ts', code: /1e-20/, why: 'a tiny epsilon' },
  { file: 'lib/data/prng.ts', code: /this\.c << 21/, why: "the generator's rotation" },
  { file: 'lib/data/toy-classes.ts', code: /id: 20,/, why: 'the toy class table itself: its last entry' },
  { file: 'lib/cli/help.ts', code: /\(default 20\); a step over it/, why: "doctor's time budget in seconds (its help)" },
  { file: 'lib/doctor/measure.ts', code: /BUDGET = 20;/, why: "doctor's time budget in seconds for one timed step or pass" },
  { file: 'lib/exec/progress.ts', code: /Math\.max\(20,|\{20\}|padEnd\(20,/, why: 'the progress bar is 20 characters wide' },
  { file: 'lib/model/optimiser.ts', code: /'biases' \? 20 : 10/, why: "DeepLab's learning-rate multipliers (x20 biases, x10 weights of the new layers)" },
  { file: 'lib/model/train-loop.ts', code: /DIVERGENCE_WINDOW = 20/, why: 'losses the divergence check looks back over' },
  { file: 'lib/native/main.ts', code: /2 \*\* 20/, why: 'bytes in a MiB' },
  { file: 'lib/native/wheel.ts', code: /'--timeout', '20'/, why: "pip's network timeout in seconds" },
  { file: 'lib/saliency/boundary.ts', code: /compactness: 20/, why: "SLIC's compactness" },
  {
    file: 'lib/tensor/reference-net.ts',
    code: /cout: 21/,
    why: 'the numerics benchmark network, pinned to the same shapes as its Python peer (bench/peers/step.py); it segments nothing',
  },
  { file: 'lib/watch/in-progress.ts', code: /1 << 20/, why: 'bytes of the run log read (1 MiB)' },
];

/** The code of a file with its comments blanked (line numbers kept); strings stay, a count in a message is still a count. */
function code(text: string): string[] {
  const blanked = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  return blanked.split('\n').map((l) => l.replace(/(^|[^:'"`\\])\/\/.*$/, '$1'));
}

function findings(): { unexplained: string[]; used: Set<number> } {
  const unexplained: string[] = [];
  const used = new Set<number>();
  for (const file of [...sourceFiles(ROOT, 'lib'), ...sourceFiles(ROOT, 'stages')]) {
    code(readFileSync(join(ROOT, file), 'utf8')).forEach((line, i) => {
      if (!LITERAL.test(line)) return;
      const k = NOT_CLASS_COUNTS.findIndex((n) => n.file === file && n.code.test(line));
      if (k < 0) unexplained.push(`${file}:${i + 1}: ${line.trim()}`);
      else used.add(k);
    });
  }
  return { unexplained, used };
}

describe('the class count is data', () => {
  it('no literal 20 or 21 in lib/ or stages/ outside the list of those that are not class counts', () => {
    expect(findings().unexplained).toEqual([]);
  });

  it('every entry of that list still matches a line (a stale entry would hide a new literal)', () => {
    const { used } = findings();
    expect(NOT_CLASS_COUNTS.filter((_, k) => !used.has(k)).map((n) => n.file)).toEqual([]);
  });

  it('the old constants are gone', () => {
    const hits = [...sourceFiles(ROOT, 'lib'), ...sourceFiles(ROOT, 'stages')].filter((f) =>
      /\bNUM_(CLASSES|FOREGROUND)\b/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(hits).toEqual([]);
  });

  it('catches a class count written as a number', () => {
    expect(code('const head = store.conv(name, 1, 21, 20);').some((l) => LITERAL.test(l))).toBe(true);
    expect(code('// a 21-class comment').some((l) => LITERAL.test(l))).toBe(false);
    expect(code("throw new Error('not in 1..20');").some((l) => LITERAL.test(l))).toBe(true);
  });
});
