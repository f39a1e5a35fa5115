import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArchive, UnsafeArchiveError } from '../../lib/data/extract.ts';
import { buildTar, removeDir, tempDir, type TarEntry } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

async function archive(name: string, entries: TarEntry[], gzip = false): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, await buildTar(entries, gzip));
  return file;
}

/** nothing named like the target (final or staging) may exist after a refused archive */
async function leftovers(target: string): Promise<string[]> {
  const base = target.split('/').pop()!;
  return (await readdir(dir)).filter((n) => n.startsWith(base));
}

describe('archive extraction', () => {
  it('extracts tar and tar.gz with prefix stripping, filtering and in-tree links', async () => {
    const entries: TarEntry[] = [
      { name: 'top/sub/', type: 'directory' },
      { name: 'top/sub/a.txt', data: 'alpha' },
      { name: 'top/b.txt', data: 'beta' },
      { name: 'top/skip.bin', data: 'x' },
      { name: 'top/link-a', type: 'symlink', linkname: 'sub/a.txt' },
      { name: 'top/hard-b', type: 'link', linkname: 'top/b.txt' },
      { name: 'other/c.txt', data: 'not under the prefix' },
    ];
    for (const gz of [false, true]) {
      const out = join(dir, `ok-${gz}`);
      const res = await extractArchive(await archive(`arch-ok-${gz}.tar${gz ? '.gz' : ''}`, entries, gz), out, {
        stripPrefix: 'top/',
        filter: (p) => !p.endsWith('.bin'),
      });
      expect(res.files).toBe(2);
      expect(await readFile(join(out, 'sub/a.txt'), 'utf8')).toBe('alpha');
      expect(await readFile(join(out, 'link-a'), 'utf8')).toBe('alpha');
      expect(await readlink(join(out, 'link-a'))).toBe('sub/a.txt');
      expect(await readFile(join(out, 'hard-b'), 'utf8')).toBe('beta');
      expect(existsSync(join(out, 'skip.bin'))).toBe(false);
      expect(existsSync(join(out, 'c.txt'))).toBe(false);
      expect(await leftovers(out)).toEqual([`ok-${gz}`]);
    }
  });

  const hostile: [string, TarEntry, RegExp][] = [
    ['dotdot', { name: 'top/../../evil.txt', data: 'pwned' }, /'top\/\.\.\/\.\.\/evil\.txt': path escapes the target folder/],
    ['leading-dotdot', { name: '../evil.txt', data: 'pwned' }, /'\.\.\/evil\.txt': path escapes/],
    ['absolute', { name: '/tmp/evil-abs.txt', data: 'pwned' }, /'\/tmp\/evil-abs\.txt': absolute path/],
    [
      'symlink-out',
      { name: 'top/ln', type: 'symlink', linkname: '../../../etc/passwd' },
      /'top\/ln': symlink to '\.\.\/\.\.\/\.\.\/etc\/passwd' points outside/,
    ],
    ['symlink-abs', { name: 'top/ln', type: 'symlink', linkname: '/etc/passwd' }, /symlink to '\/etc\/passwd' points outside/],
    ['hardlink-out', { name: 'top/hl', type: 'link', linkname: '../outside.txt' }, /'top\/hl': link to '\.\.\/outside\.txt' points outside/],
    // in the archive this link stays inside, but after stripping 'top/' it would point one level above the target
    ['symlink-out-after-strip', { name: 'top/ln2', type: 'symlink', linkname: '../x' }, /'top\/ln2': symlink to '\.\.\/x' points outside/],
  ];
  for (const [name, bad, message] of hostile) {
    it(`refuses ${name} entries, naming them, and leaves nothing behind`, async () => {
      const file = await archive(`${name}.tar`, [{ name: 'top/fine.txt', data: 'ok' }, bad, { name: 'top/after.txt', data: 'ok' }]);
      const out = join(dir, `out-${name}`);
      const err = await extractArchive(file, out, { stripPrefix: 'top/' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsafeArchiveError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(file);
      expect(await leftovers(out)).toEqual([]);
      expect(existsSync(join(dir, 'evil.txt'))).toBe(false);
      expect(existsSync('/tmp/evil-abs.txt')).toBe(false);
    });
  }

  for (const gz of [true, false]) {
    it(`reports a truncated ${gz ? 'tar.gz' : 'tar'} archive and publishes nothing`, async () => {
      const full = await buildTar(
        [
          { name: 'a.txt', data: Buffer.alloc(50_000, 1) },
          { name: 'b.txt', data: 'b' },
        ],
        gz,
      );
      const file = join(dir, `cut-${gz}.tgz`);
      await writeFile(file, full.subarray(0, Math.floor(full.length / 2)));
      const out = join(dir, `out-cut-${gz}`);
      await expect(extractArchive(file, out)).rejects.toThrow(new RegExp(`cut-${gz}\\.tgz`));
      expect(await leftovers(out)).toEqual([]);
    });
  }
});
