// One measurement in its own process: `node --import tsx measure-child.ts '<json request>'`, the
// seconds (or the error) and the backend that measured them as JSON on stdout. A network too large for the backend (a wasm heap abort)
// then costs this process, not the doctor.
import { initBackend } from '../tensor/backend.ts';
import { machineMeasurer } from './measure.ts';
import type { Measurer } from './estimate.ts';

type Request = { [K in keyof Measurer]: { method: K; args: Parameters<Measurer[K]> } }[keyof Measurer];

const request = JSON.parse(process.argv[2] ?? '{}') as Request;
try {
  const { name, detail } = await initBackend({ log: () => {} });
  const m = machineMeasurer() as unknown as Record<string, (...a: unknown[]) => Promise<number | null>>;
  const seconds = await m[request.method](...request.args);
  process.stdout.write(`${JSON.stringify({ seconds, backend: { name, detail } })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: (err as Error).message.split('\n')[0] })}\n`);
}
