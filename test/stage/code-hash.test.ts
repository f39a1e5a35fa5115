// The code identity survives moves and respellings of imports, and sees every change that can
// alter what a stage computes.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeHash, forgetCodeHashes } from '../../lib/stage/code-hash.ts';

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
