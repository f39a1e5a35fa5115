// `pipeline doctor` takes the run's --gpus and --gpu-share and reads them as the run does: a flag
// the run would refuse is refused by doctor the same way (exit 2, one line naming doctor), before
// anything is measured.
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/pipeline.mjs');

// no nvidia-smi on this PATH: what a GPU list asks for cannot be confirmed
const doctor = (args: string[]) =>
  execa(process.execPath, [BIN, 'doctor', '--profile', 'micro', '--backend', 'wasm', ...args], {
    cwd: ROOT,
    reject: false,
    env: { FORCE_COLOR: '0', PATH: '/nonexistent', DCSP_GPU_SIMULATE: '' },
  });

describe('pipeline doctor --gpus / --gpu-share', () => {
  it('refuses what the run refuses, in one line, before measuring', async () => {
    const list = await doctor(['--gpus', '0']);
    expect(list.exitCode).toBe(2);
    expect(String(list.stderr).trim()).toMatch(/^error: pipeline doctor: --gpus 0: .*no GPU can be confirmed/);
    const bad = await doctor(['--gpus', 'some']);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr).trim()).toMatch(/^error: pipeline doctor: --gpus takes auto, none, or GPU indices/);
    const share = await doctor(['--gpu-share', '0']);
    expect(share.exitCode).toBe(2);
    expect(String(share.stderr).trim()).toMatch(/^error: pipeline doctor: --gpu-share must be a whole number from 1 to 64/);
    for (const r of [list, bad, share]) expect(String(r.stderr)).not.toMatch(/doctor: timing/);
    // three CLI starts: slow on a busy machine
  }, 300_000);
});
