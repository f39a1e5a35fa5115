// Argument parsing shared by every command: node's parseArgs, with unknown options and bad values
// turned into InputErrors (exit code 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--workers -3` reads to parseArgs as an option followed by another option: join a value that
 * starts with a dash and a digit to its option, so that the option's own check names the problem.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const takesValue = (tok: string): boolean => {
    const long = /^--([^=]+)$/.exec(tok)?.[1];
    if (long) return options[long]?.type === 'string';
    const short = /^-([A-Za-z])$/.exec(tok)?.[1];
    return short !== undefined && Object.values(options).some((o) => o.short === short && o.type === 'string');
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (takesValue(argv[i]) && /^-\d/.test(argv[i + 1] ?? '')) out.push(`${argv[i]}${argv[i].startsWith('--') ? '=' : ''}${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

export function parse(command: string, argv: string[], options: Options, positionals = false) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: positionals, strict: true });
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
