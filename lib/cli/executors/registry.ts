// The executors `--executor` chooses from; the first is the default. A new executor: its own
// file (see executor.ts) and one line in EXECUTORS.
import { InputError } from '../../errors.ts';
import type { Options } from '../args.ts';
import { bullmq } from './bullmq.ts';
import type { ExecutorContext, ExecutorPlugin, OpenExecutor } from './executor.ts';
import { local } from './local.ts';

export const EXECUTORS: readonly ExecutorPlugin[] = [local, bullmq];

const DEFAULT = EXECUTORS[0];

/**
 * --executor and every plugin's options, for the commands that run stages. Typed by --executor
 * alone: a plugin reads its own options from the parsed line (option-value.ts).
 */
export const EXECUTOR_OPTIONS: { executor: { type: 'string' } } = Object.assign(
  { executor: { type: 'string' as const } },
  ...EXECUTORS.map((e): Options => e.options),
);

/** 'local or bullmq', 'a, b or c' */
export function executorNames(): string {
  const names = EXECUTORS.map((e) => e.name);
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** --help lines: the executors and their options */
export function executorHelp(): string {
  const width = Math.max(...EXECUTORS.map((e) => e.name.length));
  return [
    `  --executor NAME   where the stages are computed (default ${DEFAULT.name}):`,
    ...EXECUTORS.map((e) => `                      ${e.name.padEnd(width)}  ${e.summary}`),
    ...EXECUTORS.map((e) => e.optionHelp).filter(Boolean),
  ].join('\n');
}

/** Whether the command line chooses an executor other than this machine (its stages run elsewhere). */
export function remoteChosen(values: { executor?: string }): boolean {
  return (values.executor ?? DEFAULT.name) !== DEFAULT.name;
}

/** The executor the command line chooses, opened (null for the local one); its options checked first. */
export async function openExecutor(ctx: ExecutorContext & { values: { executor?: string } }): Promise<OpenExecutor | null> {
  const name = ctx.values.executor ?? DEFAULT.name;
  const chosen = EXECUTORS.find((e) => e.name === name);
  if (!chosen) throw new InputError(`pipeline ${ctx.command}: --executor must be ${executorNames()}, got '${name}'`);
  for (const other of EXECUTORS) {
    const stray = Object.keys(other.options).find((o) => !(o in chosen.options) && ctx.values[o] !== undefined);
    if (stray) throw new InputError(`pipeline ${ctx.command}: --${stray} goes with --executor ${other.name}`);
  }
  return chosen.open(ctx);
}
