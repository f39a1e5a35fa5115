import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInside, OutsideRootError, resolveInside, within } from '../../lib/store/inside.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-inside-'));
const root = join(base, 'cache');
const outside = join(base, 'elsewhere');
mkdirSync(join(root, 'cues', 'k1'), { recursive: true });
mkdirSync(outside);
symlinkSync(outside, join(root, 'out-link'));
symlinkSync(join(root, 'cues'), join(root, 'in-link'));
// the cache itself behind a symlink (users do this): paths through it are still inside
symlinkSync(root, join(base, 'cache-link'));

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(OutsideRootError);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('resolveInside', () => {
  it('resolves relative paths under the root, existing or not', () => {
    expect(resolveInside(root, 'cues/k1', 'input')).toBe(join(root, 'cues/k1'));
    expect(resolveInside(root, 'cues/k2.partial/work/items/a.item', 'item file')).toBe(join(root, 'cues/k2.partial/work/items/a.item'));
    expect(resolveInside(root, 'in-link/k1', 'input')).toBe(join(root, 'in-link/k1'));
    expect(resolveInside(join(base, 'cache-link'), 'cues/k1', 'input')).toBe(join(base, 'cache-link/cues/k1'));
  });

  it('refuses absolute paths, .. parts, empty names and NUL bytes, naming the path in one line', () => {
    for (const bad of ['/etc/passwd', '\\x', 'C:/x', '../x', 'cues/../../x', 'cues/..', 'a\\..\\b', '', 'a\0b']) {
      const why = refusal(() => resolveInside(root, bad, 'item file'));
      expect(why).toMatch(/^item file /);
      expect(why).not.toContain('\n');
    }
    expect(refusal(() => resolveInside(root, '../escape-stage/k', 'output'))).toContain('"../escape-stage/k" climbs out');
  });

  it('refuses a path through a symlink that points out of the root, existing or not', () => {
    expect(refusal(() => resolveInside(root, 'out-link', 'input'))).toMatch(/symbolic link/);
    expect(refusal(() => resolveInside(root, 'out-link/new/file.item', 'item file'))).toMatch(/symbolic link/);
  });
});

describe('checkInside', () => {
  it('takes absolute paths strictly below the root and refuses the root itself and its neighbours', () => {
    expect(checkInside(root, join(root, 'train', 'abc'), 'output')).toBe(join(root, 'train', 'abc'));
    refusal(() => checkInside(root, root, 'output'));
    refusal(() => checkInside(root, `${root}-other/x`, 'output'));
    refusal(() => checkInside(root, join(root, '..', 'escape-stage', 'k'), 'output'));
  });

  it('within() is by name only', () => {
    expect(within('/a/b', '/a/b/c')).toBe(true);
    expect(within('/a/b', '/a/b')).toBe(true);
    expect(within('/a/b', '/a/bc')).toBe(false);
    expect(within('/a/b', '/a')).toBe(false);
  });
});
