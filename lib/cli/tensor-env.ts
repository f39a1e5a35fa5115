// The tensor settings of a command line, put where every process of the command reads them: the
// environment (stages, their workers and child processes) and this process's numerics.
import { InputError } from '../errors.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { stageNumerics } from '../contract/numerics.ts';
import { BACKEND_ENV, BACKEND_NAMES, BACKEND_PIN_ENV, BACKEND_PINNED_ENV } from '../tensor/backend-names.ts';
import { NONDETERMINISTIC_ENV, readNumericsSetting, THREADS_ENV, useNumerics, type NumericsSetting } from '../tensor/numerics.ts';
import type { CommonValues } from './command.ts';

const isBackendName = (v: string): boolean => BACKEND_NAMES.some((b) => b === v);

/** --backend, --tf-threads and --nondeterministic into the environment (before --help, as before) */
export function exportTensorOptions(values: CommonValues): void {
  if (values.backend !== undefined) {
    if (!isBackendName(values.backend)) throw new InputError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got '${values.backend}'`);
    process.env[BACKEND_ENV] = values.backend;
  }
  if (values['tf-threads'] !== undefined) process.env[THREADS_ENV] = values['tf-threads'];
  if (values.nondeterministic) process.env[NONDETERMINISTIC_ENV] = '1';
}

/** a bad DCSP_BACKEND / DCSP_TF_THREADS is the user's input: exit 2 */
function readSettingOrRefuse(): ReturnType<typeof readNumericsSetting> {
  try {
    return readNumericsSetting();
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

/**
 * The backend and TensorFlow settings are in every tensor stage's key: read before any key is made,
 * and the backend pinned, so every process of the run starts that one or fails (never computing
 * other bytes under the keys made here). Returns the notes to show.
 */
export async function settleNumerics(computes: boolean): Promise<{ setting: NumericsSetting; notes: string[] }> {
  const numerics = readSettingOrRefuse();
  process.env[BACKEND_PIN_ENV] ??= '1';
  process.env[BACKEND_PINNED_ENV] ??= numerics.setting.backend;
  // libtensorflow's start-up INFO lines (CPU features, absl) would come once per training child
  // and cut through the progress board; warnings and errors still show, and 0 brings them all back
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  if (computes && !['wasm', 'cpu'].includes(process.env[BACKEND_ENV] ?? '')) {
    const { unpatchedBindings } = await import('../native/binding-patches.ts');
    const bad = await unpatchedBindings(PROJECT_ROOT);
    if (bad.length) throw new InputError(bad.join('\n'));
  }
  if (computes) {
    // whatever starts TensorFlow in this process (a per-item stage's items, predict, a
    // preflight) starts it as a per-item stage's key says: one thread per op, deterministic kernels
    useNumerics(stageNumerics(numerics.setting, true));
  }
  return numerics;
}
