// What a command is: its name, one line for `pipeline --help`, its --help text and a run that gets
// its own options already parsed and typed. main.ts lists the commands; each lives in commands/.
import { parse, type Options } from './args.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The options every command takes (args.ts parses them with the command's own). */
export const COMMON = {
  pipeline: { type: 'string' },
  cache: { type: 'string' },
  profile: { type: 'string', short: 'p' },
  set: { type: 'string', multiple: true, short: 's' },
  backend: { type: 'string' },
  'tf-threads': { type: 'string' },
  nondeterministic: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

type OptionValue<D> = D extends { type: 'string' } ? (D extends { multiple: true } ? string[] : string) : D extends { multiple: true } ? boolean[] : boolean;

/** What parseArgs gives for these options: each absent or of its declared type. */
export type Values<O extends Options> = { -readonly [K in keyof O]?: OptionValue<O[K]> };

export type CommonValues = Values<typeof COMMON>;

/** A command line parsed for one command: the common options (main acts on them first) and the run. */
export interface Invocation {
  common: CommonValues;
  run(io: Io): Promise<number>;
}

export interface Command {
  name: string;
  /** its line in `pipeline --help` */
  summary: string;
  /** its `pipeline <name> --help` */
  usage: string;
  /** it may start a tensor backend (and so load a tfjs-node binding) */
  computes: boolean;
  /** bad options are an InputError naming the command */
  parse(argv: string[]): Invocation;
}

export interface CommandSpec<O extends Options> {
  name: string;
  summary: string;
  usage: string;
  computes?: boolean;
  options: O;
  /** it takes positional arguments (files) */
  positionals?: boolean;
  run(values: Values<O> & CommonValues, io: Io, positionals: string[]): Promise<number>;
}

export function defineCommand<O extends Options>(spec: CommandSpec<O>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    computes: spec.computes ?? false,
    parse(argv) {
      const { values, positionals } = parse(spec.name, argv, { ...COMMON, ...spec.options }, spec.positionals ?? false);
      // parseArgs (strict) gives each option absent or of its declared type: Values says exactly that
      const typed = values as Values<O> & CommonValues;
      return { common: typed, run: (io) => spec.run(typed, io, positionals) };
    },
  };
}
