// How a stage's failure reads in a run's summary: one line, the error's own first line, plus the
// place on disk when the error is a system error whose message does not name one (a write that runs
// out of space says `ENOSPC: no space left on device, write` and nothing more).

export function failureLine(err: unknown, where?: string): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const first = (e.message || e.name || 'unknown error').split('\n')[0].trim();
  const sys = e as NodeJS.ErrnoException;
  const placeless = typeof sys.code === 'string' && typeof sys.syscall === 'string' && !sys.path;
  return placeless && where ? `${first} (under ${where})` : first;
}
