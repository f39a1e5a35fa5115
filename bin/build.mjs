// Bundles the CLI (lib/ -> dist/cli/) with esbuild. The bundle is a start-up cache of the
// TypeScript sources: bin/pipeline.mjs rebuilds it whenever a lib/ file is newer, and falls back to
// running the sources through tsx if building fails. Packages stay external (node_modules).
import { mkdir, rename, rm, stat, readdir } from 'node:fs/promises';
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

export async function build() {
  const { build: esbuild } = await import('esbuild');
  const staging = join(ROOT, 'dist', `.cli-${process.pid}-${Date.now()}`);
  await mkdir(staging, { recursive: true });
  await esbuild({
    entryPoints: [join(ROOT, 'lib/cli/main.ts')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: staging,
    logLevel: 'warning',
  });
  const final = dirname(BUNDLE);
  await rm(final, { recursive: true, force: true });
  try {
    await rename(staging, final);
  } catch {
    // another process committed a bundle of the same sources meanwhile
    await rm(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
