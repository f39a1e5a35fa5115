// The thread grant: what the executor grants becomes TF_NUM_INTRAOP_THREADS, a child replaces a
// grant it inherited, and a value the user set is never overwritten.
import { afterEach, describe, expect, it } from 'vitest';
import { INTER_OP_ENV, INTRA_OP_ENV, grantTensorThreads } from '../../lib/tensor/threads.ts';

const KEYS = [INTRA_OP_ENV, INTER_OP_ENV, 'DCSP_TF_THREADS_GRANT'];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
const clear = (): void => {
  for (const k of KEYS) delete process.env[k];
};

describe('grantTensorThreads', () => {
  it('sets the intra-op threads to the grant and the inter-op pool to one', () => {
    clear();
    expect(grantTensorThreads(2)).toBe('2');
    expect(process.env[INTER_OP_ENV]).toBe('1');
  });

  it('replaces a grant (a parent\'s, inherited) but not a value the user set', () => {
    clear();
    grantTensorThreads(1);
    expect(grantTensorThreads(2)).toBe('2');
    clear();
    process.env[INTRA_OP_ENV] = '3';
    process.env[INTER_OP_ENV] = '2';
    expect(grantTensorThreads(1)).toBe('3');
    expect(process.env[INTER_OP_ENV]).toBe('2');
  });

  it('refuses a grant that is not a positive integer', () => {
    expect(() => grantTensorThreads(0)).toThrow(/positive integer/);
  });
});
