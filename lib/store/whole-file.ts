// Replacing a small file whole, so that a reader sees the old content or the new, never a torn one:
// written beside it under a name of this process's, then renamed over it. A write that fails (a
// full disk creates the file, then cannot fill it) removes its temporary copy, so nothing but the
// file itself is ever left behind.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

const tmpOf = (path: string): string => `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tmpOf(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** The same, for writers that must not yield (a progress record written from a tick). */
export function replaceFileSync(path: string, data: string | Uint8Array): void {
  const tmp = tmpOf(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
