// A Python tool the tests compare against, from a venv .ci/run makes under test/ (python3 -m venv,
// then pip). Without it the comparison skips saying why, except in CI (CI or the tool's
// DCSP_REQUIRE_* variable set), where it fails: there the comparison must have run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

export interface VenvTool {
  /** the venv's interpreter */
  python: string;
  /** why the tool cannot be used here, or null when it can */
  missing: string | null;
}

export interface VenvToolSpec {
  /** the venv folder, relative to the repository (test/.venv-tb) */
  venv: string;
  /** the pip package .ci/run installs into it */
  pip: string;
  /** the module whose import proves it works */
  module: string;
  /** the variable .ci/run sets to make its absence a failure */
  requireEnv: string;
  /** what it is, for messages ("TensorBoard") */
  name: string;
}

export function venvTool(spec: VenvToolSpec): VenvTool {
  const python = join(ROOT, spec.venv, 'bin/python');
  let missing: string | null = null;
  if (!existsSync(python)) missing = `${python} is missing (make it as .ci/run does: python3 -m venv ${spec.venv} && ${spec.venv}/bin/pip install ${spec.pip})`;
  else {
    const r = spawnSync(python, ['-c', `import ${spec.module}`], { encoding: 'utf8' });
    if (r.status !== 0) missing = `${spec.module} does not import in ${spec.venv}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0]}`;
  }
  const required = Boolean(process.env.CI) || process.env[spec.requireEnv] === '1';
  if (missing && required) throw new Error(`${spec.name} is required here (CI) but ${missing}`);
  if (missing) console.warn(`skipping the ${spec.name} checks: ${missing}; in CI they fail instead`);
  return { python, missing };
}
