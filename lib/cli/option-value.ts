// A string option read from a command line parsed with options this module does not know
// statically (an executor plugin's own), or else from an environment variable.
export type RawValues = Readonly<Record<string, unknown>>;

/** the option's value when given as a string, else `env`'s when set and not empty */
export function stringOption(values: RawValues, option: string, env?: string): string | undefined {
  const v = values[option];
  if (typeof v === 'string') return v;
  return env === undefined ? undefined : process.env[env] || undefined;
}
