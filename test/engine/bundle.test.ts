// The CLI bundle (bin/build.mjs) is rebuilt by whichever CLI first sees lib/ newer than it, and a
// test run starts many CLIs at once: builds racing each other must leave one whole file, never a
// directory of lazily loaded chunks that a rebuild could pull from under a running CLI.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

describe('the CLI bundle', () => {
  it('is one file, replaced whole by concurrent rebuilds, and runs', async () => {
    await Promise.all([1, 2, 3].map(() => run(process.execPath, [join(ROOT, 'bin/build.mjs')], { cwd: ROOT })));
    expect(readdirSync(join(ROOT, 'dist/cli'))).toEqual(['main.js']);
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), '--help'], { cwd: ROOT });
    expect(stdout).toMatch(/^pipeline: /);
    expect(stderr).not.toMatch(/running from sources/);
  }, 60_000);
});
