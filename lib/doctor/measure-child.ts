// One measurement in its own process: `node --import tsx measure-child.ts '<json request>'`, the
// step it is about to time as a JSON line before each (`attempt`), then the result (or the error),
// the backend that measured it and the seconds this process took to be ready to compute as the
// last JSON line on stdout. A network too large for the backend (a wasm heap abort) then costs
// this process, not the doctor.
import { stageNumerics } from '../contract/numerics.ts';
import { initBackend } from '../tensor/backend.ts';
import { readNumericsSetting, useNumerics } from '../tensor/numerics.ts';
import { machineMeasurer, type MeasureOptions } from './measure.ts';
import type { Measurer } from './estimate.ts';
import type { ChildReply } from './isolated.ts';

type Request = { [K in keyof Measurer]: { method: K; args: Parameters<Measurer[K]> } }[keyof Measurer] & { options?: MeasureOptions };

const request = JSON.parse(process.argv[2] ?? '{}') as Request;
let reply: ChildReply;
try {
  // measured as the run computes: a training step on the run's training threads, a forward or a
  // detector pass as a per-item stage's item (one thread per op)
  const training = request.method === 'trainStep' || request.method === 'saliencyStep';
  useNumerics(stageNumerics(readNumericsSetting().setting, !training));
  const { name, detail } = await initBackend({ log: () => {} });
  // a stage's process is this far when it starts computing: node, the modules, the backend
  const ready = performance.now() / 1000;
  // each step before it is timed: if it runs the backend out of memory, the parent knows which
  const onAttempt = (key: string, side: number, batch: number) => process.stdout.write(`${JSON.stringify({ attempt: { key, side, batch } })}\n`);
  const m = machineMeasurer({ ...request.options, onAttempt }) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const result = await m[request.method](...request.args);
  const seconds = request.method === 'startup' ? { ...(result as object), process: ready } : result;
  reply = { seconds, backend: { name, detail }, ready };
} catch (err) {
  reply = { error: (err as Error).message.split('\n')[0] };
}
process.stdout.write(`${JSON.stringify(reply)}\n`);
