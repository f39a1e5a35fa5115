// Locations of the project's own files. The CLI may run from its TypeScript sources or from the
// bundle in dist/, where import.meta.url points elsewhere, so paths are taken from the project root
// (the folder whose package.json names this package), never from a module's own URL.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'dcsp-pipeline') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the dcsp-pipeline package root above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

export function libFile(relative: string): string {
  return join(PROJECT_ROOT, 'lib', relative);
}

/**
 * tsx's loader as an absolute URL for `node --import` in child processes: a bare `tsx` is resolved
 * from the child's working directory, which for a worker is a scratch folder outside the project.
 */
export const TSX_LOADER = pathToFileURL(createRequire(join(PROJECT_ROOT, 'package.json')).resolve('tsx')).href;
