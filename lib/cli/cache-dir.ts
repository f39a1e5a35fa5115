// The cache directory a command works on, checked before anything is written: it must be (or be
// creatable as) a writable directory. Each missing level is made on its own, because Node's
// recursive mkdir loops forever under some paths (/proc/nope) instead of failing.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../errors.ts';

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}` : e.message;
}

function kind(path: string): 'dir' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** Creates `cache` if needed and proves it writable; one InputError naming the path otherwise. */
export function prepareCacheDir(cache: string): void {
  const missing: string[] = [];
  let at = cache;
  while (kind(at) === 'missing' && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
  }
  if (kind(at) !== 'dir') throw new InputError(`cache ${cache}: ${at} is not a directory`);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(`cache ${cache}: cannot create ${dir} (${why(err)})`);
    }
    if (kind(dir) !== 'dir') throw new InputError(`cache ${cache}: ${dir} is not a directory`);
  }
  const probe = `${cache}/.write-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    writeFileSync(probe, '');
  } catch (err) {
    throw new InputError(`cache ${cache} is not writable (${why(err)})`);
  }
  rmSync(probe, { force: true });
}
