// Where a run's curves go: <root>/<run name>/<stage>/, the root being cache/tensorboard unless the
// user names another (`--tensorboard DIR`). The run name is the profile and the settings the run
// overrides, as a sweep names its variants (`toy`, `toy,cues.gamma=0.3`), so `tensorboard --logdir
// cache/tensorboard` shows the variants of a sweep side by side under names a reader recognises.
import { resolve, sep } from 'node:path';
import { sha256 } from '../store/hash.ts';

/** The folder the cache keeps event files in (beside the stage folders; a reserved name). */
export const TENSORBOARD_DIR = 'tensorboard';

const UNSAFE = /[^A-Za-z0-9._=,+@-]/g;
const MAX_NAME = 120;

/** The profile, then the overrides in a fixed order (so one variant has one name however it was typed). */
export function runLogName(profile: string, overrides: readonly string[]): string {
  const name = [profile, ...[...overrides].map((o) => o.trim()).sort()].join(',').replace(UNSAFE, '_');
  const safe = name.startsWith('.') ? `_${name}` : name;
  return safe.length <= MAX_NAME ? safe : `${safe.slice(0, MAX_NAME - 11)}@${sha256(safe).slice(0, 10)}`;
}

/**
 * A stage's log folder. The run name may come from a queue job (a coordinator elsewhere), so it
 * must be one plain path segment: anything else is refused rather than written outside the root.
 */
export function stageLogDir(root: string, runName: string, stage: string): string {
  for (const [what, part] of [
    ['run name', runName],
    ['stage', stage],
  ] as const) {
    if (!part || part === '.' || part === '..' || part.replace(UNSAFE, '') !== part) {
      throw new Error(`TensorBoard log folder: the ${what} '${part}' is not one plain path segment`);
    }
  }
  const base = resolve(root);
  const dir = resolve(base, runName, stage);
  if (!dir.startsWith(base + sep)) throw new Error(`TensorBoard log folder ${dir} is outside ${base}`);
  return dir;
}
