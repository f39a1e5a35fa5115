// One measurement in its own process: `node --import tsx measure-child.ts '<json request>'`, the
// seconds (or the error) and the backend that measured them as JSON on stdout. A network too large for the backend (a wasm heap abort)
// then costs this process, not the doctor.
import { stageNumerics } from '../contract/numerics.ts';
import { initBackend } from '../tensor/backend.ts';
import { readNumericsSetting, useNumerics } from '../tensor/numerics.ts';
import { machineMeasurer } from './measure.ts';
import type { Measurer } from './estimate.ts';

type Request = { [K in keyof Measurer]: { method: K; args: Parameters<Measurer[K]> } }[keyof Measurer];

const request = JSON.parse(process.argv[2] ?? '{}') as Request;
try {
  // measured as the run computes: a training step on the run's training threads, a forward or a
  // detector pass as a per-item stage's item (one thread per op)
  const training = request.method === 'trainStep' || request.method === 'saliencyStep';
  useNumerics(stageNumerics(readNumericsSetting().setting, !training));
  const { name, detail } = await initBackend({ log: () => {} });
  const m = machineMeasurer() as unknown as Record<string, (...a: unknown[]) => Promise<number | null>>;
  const seconds = await m[request.method](...request.args);
  process.stdout.write(`${JSON.stringify({ seconds, backend: { name, detail } })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: (err as Error).message.split('\n')[0] })}\n`);
}
