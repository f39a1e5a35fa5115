// The Redis URL and TLS options as the coordinator and the worker read them: what is refused
// (exit 2, one line) and that a password never shows in what is printed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors.ts';
import { redactRedisUrl, redisTarget } from '../../lib/distributed/connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-redis-url-'));
const pem = join(dir, 'x.pem');
writeFileSync(pem, 'not really a certificate');

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('redactRedisUrl', () => {
  it('replaces the password and keeps everything else', () => {
    expect(redactRedisUrl('redis://dcsp:s3cret@10.0.0.5:6380/2')).toBe('redis://dcsp:***@10.0.0.5:6380/2');
    expect(redactRedisUrl('rediss://:s3cret@host')).toBe('rediss://:***@host');
    expect(redactRedisUrl('redis://10.0.0.5:6379')).toBe('redis://10.0.0.5:6379');
    // a URL that does not parse loses its whole user part
    expect(redactRedisUrl('redis://u:s3cret@[10.0.0')).toBe('redis://***@[10.0.0');
  });
});

describe('redisTarget', () => {
  it('takes user, password and database from the URL, shows it redacted and scrubs the password from other messages', () => {
    const t = redisTarget('redis://dcsp:p%40ss@127.0.0.1:6390/3', 'q1');
    expect(t.options).toMatchObject({ host: '127.0.0.1', port: 6390, db: 3, username: 'dcsp', password: 'p@ss' });
    expect(t.options.tls).toBeUndefined();
    expect(t.shown).toBe('redis://dcsp:***@127.0.0.1:6390/3');
    expect(t.prefix).toBe('q1');
    expect(t.scrub('AUTH dcsp p@ss failed')).toBe('AUTH dcsp *** failed');
  });

  it('rediss:// is TLS, with the CA and client certificate files read', () => {
    const t = redisTarget('rediss://h:6379', undefined, { ca: pem, cert: pem, key: pem });
    expect(String(t.options.tls?.ca)).toBe('not really a certificate');
    expect(String(t.options.tls?.key)).toBe('not really a certificate');
    expect(redisTarget('rediss://h').options.tls).toEqual({});
  });

  it('refuses in one line, never echoing the password', () => {
    const cases: [string, Parameters<typeof redisTarget>[2], RegExp][] = [
      ['redis://u:s3cret@[127', {}, /--redis must be a URL such as redis:\/\/127\.0\.0\.1:6379, got 'redis:\/\/\*\*\*@\[127'/],
      ['http://u:s3cret@h', {}, /--redis must be a redis:\/\/ or rediss:\/\/ URL, got 'http:\/\/u:\*\*\*@h\/'/],
      ['redis://u:s3cret@h/x', {}, /database number in 'redis:\/\/u:\*\*\*@h\/x'/],
      ['redis://u:s3cret@h', { ca: pem }, /--redis-ca is for TLS: give a rediss:\/\/ URL, got 'redis:\/\/u:\*\*\*@h'/],
      ['rediss://u:s3cret@h', { cert: pem }, /--redis-cert and --redis-key go together/],
      ['rediss://u:s3cret@h', { ca: join(dir, 'missing.crt') }, /--redis-ca .*missing\.crt: cannot read it \(ENOENT\)/],
      ['redis://u:s3cret%zz@h', {}, /the user or password in 'redis:\/\/u:\*\*\*@h' is not valid percent-encoding/],
    ];
    for (const [url, tls, why] of cases) {
      const m = refusal(() => redisTarget(url, undefined, tls));
      expect(m).toMatch(why);
      expect(m).not.toContain('s3cret');
      expect(m).not.toContain('\n');
    }
    expect(refusal(() => redisTarget('redis://h', 'a:b'))).toMatch(/--queue must be letters/);
  });
});
