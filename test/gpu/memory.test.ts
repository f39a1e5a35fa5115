// The card memory of one process, from nvidia-smi's compute-apps CSV: the parser (spaces, "[N/A]",
// lines that are not a process), a pid it does not list (a container's PID namespace), and the
// query through a fake nvidia-smi first on PATH.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryOf, parseComputeApps, processMemory } from '../../lib/gpu/memory.ts';
import { fakeNvidiaSmiWithApps } from '../fixtures/fake-gpus.ts';

describe("nvidia-smi's compute processes", () => {
  it('reads pid, used_memory lines, with spaces, [N/A] and lines that are no process', () => {
    const out = ['1234, 7412', '  987 ,  312  ', '55, [N/A]', 'No running processes found', '', 'pid, used_memory', '77'].join('\n');
    expect(parseComputeApps(out)).toEqual([
      { pid: 1234, usedMiB: 7412 },
      { pid: 987, usedMiB: 312 },
      { pid: 55, usedMiB: null },
    ]);
    expect(parseComputeApps('')).toEqual([]);
  });

  it("gives a process's memory, or why there is none: never a figure it did not list", () => {
    const apps = parseComputeApps('1234, 7412\n55, [N/A]\n1234, 100');
    // a process listed on two cards holds their sum
    expect(memoryOf(apps, 1234)).toEqual({ mib: 7412 + 100 });
    const na = memoryOf(apps, 55);
    expect(na.mib).toBeNull();
    expect('why' in na ? na.why : '').toMatch(/\[N\/A\]/);
    const missing = memoryOf(apps, 999);
    expect(missing.mib).toBeNull();
    expect('why' in missing ? missing.why : '').toMatch(/no compute process with pid 999 .*PID namespace/);
  });

  it('asks nvidia-smi on PATH; says when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcsp-gpu-memory-'));
    const log = join(dir, 'queries.log');
    const bin = fakeNvidiaSmiWithApps(dir, [{ name: 'Fake T4', memoryMiB: 16384 }], 3021, log);
    // the fake lists the process that ran it (its parent): here, this one
    expect(await processMemory(process.pid, { PATH: `${bin}:/usr/bin:/bin` })).toEqual({ mib: 3021 });
    const other = await processMemory(process.pid + 1, { PATH: `${bin}:/usr/bin:/bin` });
    expect(other.mib).toBeNull();
    const none = await processMemory(process.pid, { PATH: '/nonexistent' });
    expect(none).toEqual({ mib: null, why: 'no nvidia-smi on PATH' });
  });
});
