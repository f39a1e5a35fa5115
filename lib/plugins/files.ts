// The `plugins:` list of a pipeline file: modules inside the project (the pipeline file's folder),
// named relative to it. Anything else is bad input, so a pipeline file can only ever add code that
// already sits in its own checkout (the trust model of lib/distributed: a worker runs only code its
// own pipeline file names; jobs carry names, never code).
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Absolute paths of the listed modules; `where(i)` names entry i (file:line:col) in messages. */
export function pluginFiles(list: readonly string[], root: string, where: (i: number) => string): string[] {
  const realRoot = realpathSync(root);
  return list.map((entry, i) => {
    const fail = (why: string): never => {
      throw new PluginFileError(`${where(i)}: plugins[${i}] '${entry}': ${why}`);
    };
    if (isAbsolute(entry) || /^[A-Za-z]:|^\\\\/.test(entry)) fail("must be relative to the pipeline file's folder");
    const file = resolve(root, entry);
    if (!existsSync(file) || !statSync(file).isFile()) fail('no such file');
    // a symlink inside the project may still point out of it: judge where it really is
    const rel = relative(realRoot, realpathSync(file));
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) fail(`leaves the project folder ${root}`);
    if (!/\.(ts|mts|js|mjs)$/.test(file)) fail('must be a .ts, .mts, .js or .mjs module');
    return file;
  });
}

/** Bad `plugins:` entry; the pipeline reader turns it into an InputError (exit 2). */
export class PluginFileError extends Error {}
