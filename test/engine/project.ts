// A throw-away copy of the engine fixture pipeline per test, at the same depth as the original so
// its stages' relative imports of lib/ still resolve, plus a CLI runner in a child process.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/engine');
const BIN = join(ROOT, 'bin/pipeline.mjs');

export interface Project {
  dir: string;
  pipeline: string;
  cache: string;
  callsFile: string;
  /** `pipeline` (default the project's own file): the repository's pipeline.yaml, for a command that reads the real stages */
  cli(args: string[], opts?: { env?: Record<string, string>; pipeline?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  spawn(args: string[], opts?: { env?: Record<string, string> }): ResultPromise;
  calls(stage?: string): string[];
}

let counter = 0;

export function makeProject(name: string): Project {
  const dir = join(ROOT, 'test/.tmp', `${name}-${process.pid}-${counter++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(FIXTURE, dir, { recursive: true });
  const pipeline = join(dir, 'pipeline.yaml');
  const callsFile = join(dir, 'calls.log');
  const env = { DCSP_TEST_CALLS: callsFile, FORCE_COLOR: '0' };
  const base = (args: string[], file = pipeline): string[] => [BIN, ...args, '--pipeline', file];
  return {
    dir,
    pipeline,
    cache: join(dir, 'cache'),
    callsFile,
    async cli(args, opts) {
      const r = await execa(process.execPath, base(args, opts?.pipeline), { cwd: dir, env: { ...env, ...opts?.env }, reject: false });
      return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    spawn(args, opts) {
      return execa(process.execPath, base(args), { cwd: dir, env: { ...env, ...opts?.env }, reject: false });
    },
    calls(stage) {
      if (!existsSync(callsFile)) return [];
      const lines = readFileSync(callsFile, 'utf8').split('\n').filter(Boolean);
      return stage ? lines.filter((l) => l.startsWith(`${stage} `)) : lines;
    },
  };
}

export function resetCalls(p: Project): void {
  rmSync(p.callsFile, { force: true });
}
