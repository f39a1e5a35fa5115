// Paths that must stay under a root: a path from a queued job (an input, an item file) or one made
// from a job's names (`<cache>/<stage>/<key>`). Checked twice, as written and on disk: a relative
// path without `..`, and the real location of its deepest existing part (symlinks followed) still
// under the root's real location, so a symlink inside the cache cannot lead a write out of it.
// What is created after the check is not covered: the check is for paths whose parts exist or are
// created by this process.
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/** A path that would leave its root; its message is one line naming the path and the root. */
export class OutsideRootError extends Error {}

/** True when `target` is `root` or below it, by the names alone (both absolute). */
export function within(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of `p`, or of its deepest existing ancestor with the rest appended. */
function realLocation(p: string): string {
  const rest: string[] = [];
  for (let at = p; ; at = dirname(at)) {
    try {
      return resolve(realpathSync(at), ...rest.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw err;
      rest.push(relative(dirname(at), at));
    }
  }
}

/**
 * `target` (absolute) if it lies strictly below `root`, by name and on disk; else an
 * OutsideRootError. `what` names the path in the message (e.g. "input cues"), `as` is how the
 * message shows it (the path as it was given).
 */
export function checkInside(root: string, target: string, what: string, as = target): string {
  const abs = resolve(target);
  const base = resolve(root);
  if (abs === base || !within(base, abs)) throw new OutsideRootError(`${what} ${JSON.stringify(as)} is not inside ${base}`);
  if (!within(realLocation(base), realLocation(abs))) throw new OutsideRootError(`${what} ${JSON.stringify(as)} leads out of ${base} through a symbolic link`);
  return abs;
}

/**
 * A path given relative to `root` (as jobs carry them), resolved under it: absolute paths, `..`
 * parts, empty names and NUL bytes are refused before anything is resolved.
 */
export function resolveInside(root: string, rel: string, what: string): string {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0')) throw new OutsideRootError(`${what} must be a non-empty path relative to ${resolve(root)}`);
  if (isAbsolute(rel) || /^[A-Za-z]:|^[\\/]/.test(rel))
    throw new OutsideRootError(`${what} ${JSON.stringify(rel)} is absolute; it must be relative to ${resolve(root)}`);
  if (rel.split(/[\\/]/).includes('..'))
    throw new OutsideRootError(`${what} ${JSON.stringify(rel)} climbs out with '..'; it must stay inside ${resolve(root)}`);
  return checkInside(root, resolve(root, rel), what, rel);
}
