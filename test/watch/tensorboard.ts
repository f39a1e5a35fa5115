// TensorBoard's own reader, from the venv .ci/run makes (test/.venv-tb: `python3 -m venv` and pip's
// `tensorboard`). Without it a test skips saying why, except in CI (CI or DCSP_REQUIRE_TENSORBOARD
// set), where it fails: the event files must be proven readable by TensorBoard there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const TB_PYTHON = join(ROOT, 'test/.venv-tb/bin/python');
const READER = join(ROOT, 'test/watch/read_events.py');

/** Why TensorBoard cannot be used here, or null when it can. */
function unavailable(): string | null {
  if (!existsSync(TB_PYTHON))
    return `${TB_PYTHON} is missing (make it as .ci/run does: python3 -m venv test/.venv-tb && test/.venv-tb/bin/pip install tensorboard)`;
  const r = spawnSync(TB_PYTHON, ['-c', 'import tensorboard; print(tensorboard.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? null : `tensorboard does not import in test/.venv-tb: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0]}`;
}

export const tensorboardMissing = unavailable();
export const tensorboardRequired = Boolean(process.env.CI) || process.env.DCSP_REQUIRE_TENSORBOARD === '1';
if (tensorboardMissing && tensorboardRequired) throw new Error(`TensorBoard is required here (CI) but ${tensorboardMissing}`);
if (tensorboardMissing) console.warn(`skipping the TensorBoard reader checks: ${tensorboardMissing}; in CI they fail instead`);

export interface TensorBoardView {
  /** tag -> [step, value] as TensorBoard's event accumulator keeps them */
  scalars: Record<string, [number, number][]>;
  texts: Record<string, [number, string][]>;
  /** every event file in name order, with its raw events */
  files: { name: string; events: { step: number; what: string; tags?: string[]; status?: number }[] }[];
}

export function readWithTensorBoard(dir: string): TensorBoardView {
  const r = spawnSync(TB_PYTHON, [READER, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`TensorBoard's reader failed on ${dir}: ${r.stderr}`);
  return JSON.parse(r.stdout) as TensorBoardView;
}
