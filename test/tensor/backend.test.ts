// Backend choice: a forced backend is honoured, an unavailable one falls through with a message
// naming why, the env variable works, a bad name is rejected, and the summary is logged once.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_ENV, BACKEND_PIN_ENV, initBackend, parseBackendName } from '../../lib/tensor/backend.ts';

function collect() {
  const lines: string[] = [];
  return { lines, log: (l: string) => lines.push(l) };
}

describe('initBackend', () => {
  afterEach(() => {
    delete process.env[BACKEND_ENV];
    delete process.env[BACKEND_PIN_ENV];
    delete process.env.DCSP_BACKEND_PINNED;
  });

  it('serves concurrent first calls one choice (two stages starting together in one process)', async () => {
    await initBackend({ prefer: 'cpu', log: () => {}, warn: null });
    const lines: string[] = [];
    const infos = await Promise.all([1, 2, 3].map(() => initBackend({ prefer: 'wasm', log: (l) => lines.push(l) })));
    expect(infos.map((i) => i.name)).toEqual(['wasm', 'wasm', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
    expect(lines).toEqual([`backend: wasm (${infos[0].detail})`]);
  });

  it('warns of a fallback even when the caller logs quietly', async () => {
    const warned: string[] = [];
    const importModule = async (s: string): Promise<unknown> => {
      if (s === '@tensorflow/tfjs-backend-wasm') throw new Error('simulated: no wasm');
      return import(s);
    };
    const info = await initBackend({ prefer: 'wasm', threads: 2, log: () => {}, warn: (l) => warned.push(l), importModule });
    expect(info.name).toBe('cpu');
    expect(warned[0]).toBe('WARNING: backend: requested wasm is unavailable (simulated: no wasm); falling back');
  });

  it('pins the first choice for the processes and threads it starts, which never fall back', async () => {
    process.env[BACKEND_PIN_ENV] = '1';
    const info = await initBackend({ prefer: 'cpu', log: () => {}, warn: null });
    expect(process.env.DCSP_BACKEND_PINNED).toBe('cpu');
    // a later caller with no preference of its own (a worker inherits the pin) gets the pinned one
    expect((await initBackend({ log: () => {} })).name).toBe(info.name);
    process.env.DCSP_BACKEND_PINNED = 'wasm';
    const importModule = async (s: string): Promise<unknown> => {
      throw new Error(`simulated: ${s} missing`);
    };
    await expect(initBackend({ log: () => {}, importModule })).rejects.toThrow(
      /backend wasm, which this run chose, does not start in this process .*simulated/,
    );
  });

  it('honours a forced wasm backend and reports SIMD and threads', async () => {
    const { lines, log } = collect();
    const info = await initBackend({ prefer: 'wasm', log });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.detail).toMatch(/^(simd|no simd), 1 thread$/);
    expect(lines).toEqual([`backend: wasm (${info.detail})`]);
    // the same request again: same answer, no second log line
    await initBackend({ prefer: 'wasm', log });
    expect(lines).toHaveLength(1);
  });

  it('honours a forced cpu backend, loudly', async () => {
    const { lines, log } = collect();
    const info = await initBackend({ prefer: 'cpu', log });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(lines.some((l) => l.startsWith('WARNING'))).toBe(true);
    expect(lines.at(-1)).toBe('backend: cpu (plain JS)');
  });

  it('falls through from an unavailable tfjs-node, saying why', async () => {
    const { lines, log } = collect();
    const importModule = async (s: string): Promise<unknown> => {
      if (s.startsWith('@tensorflow/tfjs-node')) throw new Error(`Cannot find package '${s}'`);
      return import(s);
    };
    const info = await initBackend({ prefer: 'tfjs-node', log, importModule });
    expect(info.name).toBe('wasm');
    expect(info.skipped).toEqual([`tfjs-node unavailable: Cannot find package '@tensorflow/tfjs-node'`]);
    expect(lines[0]).toBe(`WARNING: backend: requested tfjs-node is unavailable (Cannot find package '@tensorflow/tfjs-node'); falling back`);
    expect(lines.at(-1)).toMatch(/^backend: wasm \(/);
  });

  it('really tries the optional GPU package first and skips it when it is not installed', async () => {
    const { log } = collect();
    const info = await initBackend({ log });
    // tfjs-node(-gpu) are not installed in this checkout; where they are, this test says so.
    expect(['tfjs-node-gpu', 'tfjs-node', 'wasm']).toContain(info.name);
    if (info.name === 'wasm') {
      expect(info.skipped.map((s) => s.split(':')[0])).toEqual(['tfjs-node-gpu unavailable', 'tfjs-node unavailable']);
    }
  });

  it('falls through to cpu when wasm cannot load', async () => {
    const { lines, log } = collect();
    const importModule = async (s: string): Promise<unknown> => {
      throw new Error(`simulated: ${s} missing`);
    };
    const info = await initBackend({ prefer: 'wasm', log, importModule });
    expect(info.name).toBe('cpu');
    expect(info.skipped).toEqual(['wasm unavailable: simulated: @tensorflow/tfjs-backend-wasm missing']);
    expect(lines.some((l) => l.includes('WARNING:   wasm unavailable: simulated'))).toBe(true);
  });

  it('reads the preference from DCSP_BACKEND', async () => {
    process.env[BACKEND_ENV] = 'cpu';
    const info = await initBackend({ log: () => {} });
    expect(info.name).toBe('cpu');
    process.env[BACKEND_ENV] = 'tpu';
    await expect(initBackend({ log: () => {} })).rejects.toThrow(
      /env DCSP_BACKEND: unknown backend 'tpu' \(choose one of tfjs-node-gpu, tfjs-node, wasm, cpu\)/,
    );
  });

  it('parses names for the CLI flag', () => {
    expect(parseBackendName('wasm', '--backend')).toBe('wasm');
    expect(() => parseBackendName('gpu', '--backend')).toThrow(/--backend: unknown backend 'gpu'/);
  });
});
