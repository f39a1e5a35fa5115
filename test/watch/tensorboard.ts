// TensorBoard's own reader, from the venv .ci/run makes (test/.venv-tb: `python3 -m venv` and pip's
// `tensorboard`). Without it a test skips saying why, except in CI (CI or DCSP_REQUIRE_TENSORBOARD
// set), where it fails: the event files must be proven readable by TensorBoard there.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { venvTool } from '../python-venv.ts';

const READER = join(resolve(import.meta.dirname, '../..'), 'test/watch/read_events.py');
const tool = venvTool({ venv: 'test/.venv-tb', pip: 'tensorboard', module: 'tensorboard', requireEnv: 'DCSP_REQUIRE_TENSORBOARD', name: 'TensorBoard reader' });
export const TB_PYTHON = tool.python;
export const tensorboardMissing = tool.missing;

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
