// --tensorboard DIR / --no-tensorboard, shared by run and sweep.
import { resolve } from 'node:path';
import { InputError } from '../errors.ts';
import type { Options } from './args.ts';
import type { Values } from './command.ts';

export const TENSORBOARD_OPTIONS = {
  tensorboard: { type: 'string' },
  'no-tensorboard': { type: 'boolean' },
} as const satisfies Options;

/** `--tensorboard DIR` (absolute), `--no-tensorboard` (null), or the default under the cache (undefined). */
export function tensorboardRoot(values: Values<typeof TENSORBOARD_OPTIONS>): string | null | undefined {
  if (values['no-tensorboard']) {
    if (values.tensorboard !== undefined) throw new InputError('--tensorboard DIR and --no-tensorboard contradict each other');
    return null;
  }
  return values.tensorboard === undefined ? undefined : resolve(values.tensorboard);
}
