// Turning a finished `.partial` output directory into a committed artifact: hash every file, write
// the file list and manifest (manifest last), then one rename makes it visible. A crash before the
// rename leaves only a `.partial` directory, which is never read as a result.
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { sha256, sha256File } from './hash.ts';
import { FILES, MANIFEST, META_FILES, type FileEntry, type Manifest } from './manifest.ts';

export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
      else throw new Error(`artifact ${dir}: ${p} is neither a file nor a directory`);
    }
  }
  await walk(dir);
  return out.sort();
}

export async function hashFiles(dir: string): Promise<FileEntry[]> {
  const names = (await listFiles(dir)).filter((f) => !META_FILES.has(f));
  const entries: FileEntry[] = [];
  // bounded concurrency: enough to overlap IO, not so much that 10k chunk files exhaust descriptors
  const width = 32;
  for (let i = 0; i < names.length; i += width) {
    const batch = names.slice(i, i + width);
    const hashed = await Promise.all(
      batch.map(async (f): Promise<FileEntry> => {
        const p = join(dir, f);
        const [st, h] = await Promise.all([stat(p), sha256File(p)]);
        return [f, st.size, h];
      }),
    );
    entries.push(...hashed);
  }
  return entries;
}

/** The artifact's identity for downstream keys: its files' paths and contents, nothing else. */
export function contentHashOf(files: FileEntry[]): string {
  return sha256(...files.map(([p, , h]) => `${p} ${h}`));
}

export type ManifestDraft = Omit<Manifest, 'format' | 'contentHash' | 'fileCount' | 'totalBytes' | 'hasItems'>;

export async function commitArtifact(outDir: string, finalDir: string, draft: ManifestDraft): Promise<Manifest> {
  const files = await hashFiles(outDir);
  const manifest: Manifest = {
    format: 1,
    ...draft,
    contentHash: contentHashOf(files),
    fileCount: files.length,
    totalBytes: files.reduce((a, [, s]) => a + s, 0),
    hasItems: files.some(([p]) => p === 'items.json'),
  };
  await writeFile(join(outDir, FILES), JSON.stringify(files));
  await writeFile(join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  await replaceDir(outDir, finalDir);
  return manifest;
}

/** Atomically puts `from` at `to`; an existing `to` (a forced re-run) is moved aside first. */
export async function replaceDir(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
  const aside = `${to}.replaced-${process.pid}-${Date.now()}`;
  await rename(to, aside);
  await rename(from, to);
  await rm(aside, { recursive: true, force: true });
}
