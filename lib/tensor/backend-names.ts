// The backend names and environment variables, apart from backend.ts so that the command line can
// check a --backend flag and pin the choice without loading tfjs.

export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** a preference: the search starts there and falls through to the next ones if unavailable */
export const BACKEND_ENV = 'DCSP_BACKEND';
/**
 * Set (to '1') by the command line: the first choice a process makes is then pinned in the
 * environment, which its worker threads and child processes inherit. A process that finds a pin
 * starts that backend or fails; it never falls back to another one, so no stage of a run computes
 * on a backend other than the one the run announced.
 */
export const BACKEND_PIN_ENV = 'DCSP_BACKEND_PIN';
/** the pinned choice itself */
export const BACKEND_PINNED_ENV = 'DCSP_BACKEND_PINNED';

/** Parse a user-supplied backend name (CLI flag or env), with a message naming the choices. */
export function parseBackendName(value: string, source: string): BackendName {
  const v = value.trim();
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(`${source}: unknown backend '${value}' (choose one of ${BACKEND_NAMES.join(', ')})`);
}
