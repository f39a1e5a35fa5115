// The Redis options, the same for both ends of the bullmq executor (run/sweep as coordinator, and
// `pipeline worker`): a URL (user and password in it, rediss:// for TLS) and, for TLS, the CA to
// trust and a client certificate. Each also comes from the environment, so that no secret need be
// on a command line (which other users of the machine can read).
import { InputError } from '../errors.ts';
import { redisTarget, type RedisTarget } from '../distributed/connection.ts';
import type { Options } from './args.ts';
import { stringOption, type RawValues } from './option-value.ts';

export const REDIS_OPTIONS = {
  redis: { type: 'string' },
  'redis-ca': { type: 'string' },
  'redis-cert': { type: 'string' },
  'redis-key': { type: 'string' },
  queue: { type: 'string' },
} as const satisfies Options;

export const REDIS_HELP = `  --redis URL       redis://[USER:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS (also DCSP_REDIS,
                    which keeps the password off the command line); printed as ***
  --redis-ca F      TLS: the CA that signed Redis's certificate (also DCSP_REDIS_CA)
  --redis-cert F, --redis-key F
                    TLS: this client's certificate and key (also DCSP_REDIS_CERT, DCSP_REDIS_KEY)
  --queue NAME      queue prefix in that Redis (default dcsp); coordinator and workers must agree`;

/** The Redis the options (or DCSP_REDIS, DCSP_REDIS_CA, DCSP_REDIS_CERT, DCSP_REDIS_KEY) name. */
export function redisFromOptions(command: string, values: RawValues): RedisTarget {
  const url = stringOption(values, 'redis', 'DCSP_REDIS');
  if (!url) throw new InputError(`pipeline ${command}: give --redis redis://[USER:PASSWORD@]HOST:PORT (or set DCSP_REDIS)`);
  const tls = {
    ca: stringOption(values, 'redis-ca', 'DCSP_REDIS_CA'),
    cert: stringOption(values, 'redis-cert', 'DCSP_REDIS_CERT'),
    key: stringOption(values, 'redis-key', 'DCSP_REDIS_KEY'),
  };
  return redisTarget(url, stringOption(values, 'queue'), tls);
}
