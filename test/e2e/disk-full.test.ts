// A full disk inside an isolated training stage, through the CLI on the micro profile. The cache is
// on a small tmpfs that is filled to the last byte once fcan-pretrain (a child process) has saved its
// first checkpoint. The run must fail with one line naming the error and the path (no Node stack),
// leave nothing but the stage's partial folder (no reply file, no half-written checkpoint), and the
// next run, with the space back, must resume from that checkpoint and commit what an uninterrupted
// run commits. Mounting needs root (or CAP_SYS_ADMIN): where it is refused the test is skipped, saying so.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/pipeline.mjs');
const KEY = /^[0-9a-f]{64}$/;
const base = mkdtempSync(join(tmpdir(), 'dcsp-disk-full-'));
const mnt = join(base, 'tmpfs');
mkdirSync(mnt);

function mountTmpfs(): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt], { stdio: ['ignore', 'ignore', 'pipe'] });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? (err as Error).message)
      .trim()
      .split('\n')[0];
  }
}
const refused = mountTmpfs();
if (refused !== null) console.warn(`disk-full test skipped: a tmpfs cannot be mounted here (${refused}); it needs root or CAP_SYS_ADMIN`);
const mountedIt = refused === null ? it : it.skip;

afterAll(() => {
  if (refused === null) execFileSync('umount', [mnt]);
  rmSync(base, { recursive: true, force: true });
});

const cli = (cache: string, args: string[] = []) =>
  execa(process.execPath, [BIN, 'run', '--profile', 'micro', '--cache', cache, '--until', 'fcan-pretrain', ...args], {
    cwd: ROOT,
    reject: false,
    env: { FORCE_COLOR: '0' },
  });

/** Every file and folder under `dir`, relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

/** Writes until the filesystem has no byte left; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 7);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

const contentHash = (cache: string, stage: string): string => {
  const key = readFileSync(join(cache, 'refs', 'micro', stage), 'utf8').trim();
  return (JSON.parse(readFileSync(join(cache, stage, key, 'manifest.json'), 'utf8')) as { contentHash: string }).contentHash;
};

describe('a full disk inside an isolated stage (tmpfs cache)', () => {
  mountedIt(
    'fails in one line naming the error and the path, leaves only the partial folder, and the next run resumes',
    async () => {
      const cache = join(mnt, 'cache');
      // fill the disk the moment the first checkpoint is whole
      const child = spawn(process.execPath, [BIN, 'run', '--profile', 'micro', '--cache', cache, '--until', 'fcan-pretrain'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += String(d)));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let filler: string | null = null;
      let partial = '';
      const stageDir = join(cache, 'fcan-pretrain');
      while (filler === null && child.exitCode === null) {
        const p = existsSync(stageDir) ? readdirSync(stageDir).find((e) => e.endsWith('.partial')) : undefined;
        if (p && existsSync(join(stageDir, p, 'work', 'checkpoints', 'model.json'))) {
          partial = join(stageDir, p);
          filler = fill(mnt);
        } else await new Promise((r) => setTimeout(r, 20));
      }
      const code = await exited;
      expect(filler, `the run ended before its first checkpoint:\n${stderr.slice(-2000)}`).not.toBeNull();
      expect(code, stderr.slice(-2000)).toBe(1);

      // one line, naming the error and where; no stack from either process
      const lines = stderr.split('\n');
      const failure = lines.filter((l) => l.includes('fcan-pretrain failed'));
      expect(failure, stderr.slice(-2000)).toHaveLength(1);
      // e.g. `cannot save checkpoint <partial>/work/checkpoints: ENOSPC: no space left on device, write`
      expect(failure[0]).toMatch(/^stage fcan-pretrain failed: /);
      expect(failure[0]).toContain('ENOSPC: no space left on device');
      expect(failure[0]).toContain(partial);
      expect(
        lines.filter((l) => /^\s+at |node:internal|^Node\.js v/.test(l)),
        stderr.slice(-2000),
      ).toEqual([]);

      // nothing but the partial folder: no lock, no commit, no reply file, no half-written checkpoint
      const key = partial.slice(stageDir.length + 1, -'.partial'.length);
      expect(KEY.test(key)).toBe(true);
      expect(readdirSync(stageDir)).toEqual([`${key}.partial`]);
      const inPartial = tree(partial);
      expect(inPartial.filter((f) => /(^|\/)(result|job)\.json$|\.tmp-|\.tmp$/.test(f))).toEqual([]);
      expect(inPartial).toContain(join('work', 'checkpoints', 'model.json'));
      // run facts (the run log, TensorBoard curves) are not artifacts: a full disk may cut them short
      const elsewhere = tree(cache).filter((f) => !f.startsWith('fcan-pretrain') && !/^(dataset|refs|runs|tensorboard|\.resolved|data)(\/|$)/.test(f));
      expect(elsewhere).toEqual([]);
      expect(tree(join(cache, 'refs')).filter((f) => f.includes('.tmp'))).toEqual([]);

      // space back: the next run resumes from the checkpoint and commits
      rmSync(filler!);
      const again = await cli(cache);
      expect(again.exitCode, String(again.stderr).slice(-2000)).toBe(0);
      expect(String(again.stderr)).toMatch(/fcan-pretrain: \d+ iterations in .*, resumed from 10;/);
      expect(readdirSync(stageDir)).toEqual([key]);

      // and it commits the bytes of a run the disk never interrupted
      const reference = join(base, 'reference');
      const ref = await cli(reference);
      expect(ref.exitCode, String(ref.stderr).slice(-2000)).toBe(0);
      expect(statSync(join(reference, 'fcan-pretrain', key)).isDirectory()).toBe(true);
      expect(contentHash(cache, 'fcan-pretrain')).toBe(contentHash(reference, 'fcan-pretrain'));
    },
    600_000,
  );
});
