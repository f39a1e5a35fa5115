// Argument parsing shared by every command: node's parseArgs, with unknown options and bad values
// turned into InputErrors (exit code 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMON: Options = {
  pipeline: { type: 'string' },
  cache: { type: 'string' },
  profile: { type: 'string', short: 'p' },
  set: { type: 'string', multiple: true, short: 's' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};


export function parse(command: string, argv: string[], options: Options, positionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw new InputError(`pipeline ${command}: ${(err as Error).message.split('\n')[0]} (see pipeline ${command} --help)`);
  }
}

export function intOption(command: string, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`pipeline ${command}: --${name} must be a non-negative integer, got '${value}'`);
  return n;
}
