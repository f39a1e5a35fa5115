// Bundles the CLI (lib/ -> dist/cli/) with esbuild. The bundle is a start-up cache of the
// TypeScript sources: bin/pipeline.mjs rebuilds it whenever a lib/ file is newer, and falls back to
// running the sources through tsx if building fails. Packages stay external (node_modules).
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = join(ROOT, 'dist', 'cli', 'main.js');

/** Newest modification time of any file under lib/. */
export async function newestSource(dir = join(ROOT, 'lib')) {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, await newestSource(p));
    else newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

export async function bundleIsFresh() {
  try {
    return (await stat(BUNDLE)).mtimeMs >= (await newestSource());
  } catch {
    return false;
  }
}

// One file, no split chunks, replaced by a rename: a CLI already running keeps the code it loaded,
// and one starting meanwhile reads either the old bundle or the new, whole. (With split chunks
// loaded lazily, a rebuild by a concurrent CLI removed chunks a running one had yet to import.)
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const final = dirname(BUNDLE);
  await mkdir(final, { recursive: true });
  const staging = join(final, `.main-${process.pid}-${Date.now()}.js`);
  try {
    await esbuild({
      entryPoints: [join(ROOT, 'lib/cli/main.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outfile: staging,
      logLevel: 'warning',
    });
    await rename(staging, BUNDLE);
  } finally {
    await rm(staging, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
