// The code identity survives moves and respellings of imports, and sees every change that can
// alter what a stage computes.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeFiles, codeHash, forgetCodeHashes } from '../../lib/contract/code-hash.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let dir = '';

function write(files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

function hashOf(files: Record<string, string>, module = 'stage.ts'): string {
  write(files);
  forgetCodeHashes();
  return codeHash(join(dir, module), dir);
}

const base = {
  'stage.ts': "import { twice } from './lib/math.ts';\nimport type { T } from './lib/types.ts';\nexport const run = (x: T) => twice(x);\n",
  'lib/math.ts': "import { one } from './one.ts';\nexport const twice = (x: number) => 2 * x * one;\n",
  'lib/one.ts': "import { twice } from './math.ts';\nexport const one = 1; export const again = () => twice;\n",
  'lib/types.ts': 'export type T = number;\n',
};

describe('code hash', () => {
  dir = join(ROOT, 'test/.tmp', `code-hash-${process.pid}`);
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the same after files move and imports are respelled (an import cycle included)', () => {
    const before = hashOf(base);
    const moved = {
      'stages/stage.ts': "import { twice } from '../steps/math';\nimport type { T } from '../types/t.ts';\nexport const run = (x: T) => twice(x);\n",
      'steps/math.ts': "import { one } from '../core/one.ts';\nexport const twice = (x: number) => 2 * x * one;\n",
      'core/one.ts': "import { twice } from '../steps/math.ts';\nexport const one = 1; export const again = () => twice;\n",
      'types/t.ts': 'export type T = number;\n',
    };
    expect(hashOf(moved, 'stages/stage.ts')).toBe(before);
  });

  it('changes with the text of any file reached at run time, not with a type-only one', () => {
    const before = hashOf(base);
    expect(hashOf({ ...base, 'lib/one.ts': base['lib/one.ts'].replace('= 1', '= 2') })).not.toBe(before);
    expect(hashOf({ ...base, 'lib/types.ts': 'export type T = number | string;\n' })).toBe(before);
  });

  it("covers a declaration's work module, named by new URL, and what the work imports", () => {
    const split = {
      'stages/s.ts':
        "import { z } from 'zod';\nexport const params = z.strictObject({ k: z.number().default(2) });\nexport type P = z.output<typeof params>;\nexport default { work: new URL('../lib/work/s.ts', import.meta.url) };\n",
      'lib/work/s.ts': "import type { P } from '../../stages/s.ts';\nimport { twice } from '../math.ts';\nexport const work = { run: (p: P) => twice(p.k) };\n",
      'lib/math.ts': 'export const twice = (x: number) => 2 * x;\n',
    };
    const before = hashOf(split, 'stages/s.ts');
    expect(codeFiles(join(dir, 'stages/s.ts'), dir).map((f) => f.path)).toEqual(['lib/math.ts', 'lib/work/s.ts', 'stages/s.ts']);
    expect(hashOf({ ...split, 'lib/work/s.ts': split['lib/work/s.ts'].replace('twice(p.k)', 'twice(p.k) + 1') }, 'stages/s.ts')).not.toBe(before);
    expect(hashOf({ ...split, 'lib/math.ts': 'export const twice = (x: number) => x + x;\n' }, 'stages/s.ts')).not.toBe(before);
    // the default lives in the declaration: changing it changes the hash too
    expect(hashOf({ ...split, 'stages/s.ts': split['stages/s.ts'].replace('default(2)', 'default(3)') }, 'stages/s.ts')).not.toBe(before);
  });

  it("reaches every real stage's work module and the libraries under it", () => {
    forgetCodeHashes();
    const files = (stage: string) => codeFiles(join(ROOT, `stages/${stage}.ts`), ROOT).map((f) => f.path);
    expect(files('cues')).toEqual(
      expect.arrayContaining(['stages/cues.ts', 'stages/shared/params.ts', 'lib/work/cues.ts', 'lib/work/scores.ts', 'lib/model/cues.ts']),
    );
    expect(files('train')).toEqual(expect.arrayContaining(['lib/work/train.ts', 'lib/work/training.ts', 'lib/model/train-loop.ts']));
    expect(files('erase-s2')).toEqual(expect.arrayContaining(['lib/work/erase-s2.ts', 'lib/work/saliency-passes.ts']));
    // another stage's work is no part of it
    expect(files('cues')).not.toContain('lib/work/adapt.ts');
  });

  it('changes when an import points at another file of the same set, and not when that file is renamed', () => {
    const pick = (target: string) => ({
      'stage.ts': "import { v as a } from './a.ts';\nimport { v as b } from './b.ts';\nimport { v } from './pick.ts';\nexport const run = () => [a, b, v];\n",
      'a.ts': 'export const v = 1;\n',
      'b.ts': 'export const v = 2;\n',
      'pick.ts': `export { v } from './${target}';\n`,
    });
    const before = hashOf(pick('a.ts'));
    // the same files, the same text once paths are blanked, but pick.ts now reads b.ts
    expect(hashOf(pick('b.ts'))).not.toBe(before);
    write(pick('a.ts'));
    renameSync(join(dir, 'a.ts'), join(dir, 'first.ts'));
    writeFileSync(join(dir, 'stage.ts'), pick('a.ts')['stage.ts'].replace('./a.ts', './first.ts'));
    writeFileSync(join(dir, 'pick.ts'), "export { v } from './first.ts';\n");
    forgetCodeHashes();
    expect(codeHash(join(dir, 'stage.ts'), dir)).toBe(before);
  });
});
