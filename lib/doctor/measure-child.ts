// One measurement in its own process: `node --import tsx measure-child.ts '<json request>'`, the
// step it is about to time as a JSON line before each (`attempt`), then the result (or the error),
// the backend that measured it and the seconds this process took to be ready to compute as the
// last JSON line on stdout. A network too large for the backend (a wasm heap abort) then costs
// this process, not the doctor. A `batch` request runs several small measurements (no network to
// run out of memory with) one after another in one process, each with its own result or error.
// Asked (`memory`, on a GPU), a training step's process then reads the card memory it holds from
// nvidia-smi: with allow-growth TensorFlow keeps what the steps took, so that is their peak.
import { stageNumerics } from '../contract/numerics.ts';
import { processMemory, type ProcessMemory } from '../gpu/memory.ts';
import { ALLOW_GROWTH_ENV } from '../gpu/plan.ts';
import { initBackend } from '../tensor/backend.ts';
import { readNumericsSetting, useNumerics } from '../tensor/numerics.ts';
import { useOnnxProvider } from '../tensor/onnx-provider.ts';
import { machineMeasurer, type MeasureOptions } from './measure.ts';
import type { MeasureCall } from './estimate.ts';
import type { ChildReply } from './isolated.ts';

type Request = (MeasureCall | { method: 'batch'; args: [MeasureCall[]] }) & { options?: MeasureOptions; memory?: boolean };

const request = JSON.parse(process.argv[2] ?? '{}') as Request;
let reply: ChildReply;
try {
  // measured as the run computes: a training step on the run's training threads, a forward or a
  // detector pass as a per-item stage's item (one thread per op)
  const training = request.method === 'trainStep' || request.method === 'saliencyStep';
  const setting = readNumericsSetting().setting;
  useNumerics(stageNumerics(setting, !training));
  // an onnx detector is timed on the provider the run's saliency passes would use
  useOnnxProvider(setting.onnx?.provider ?? 'cpu');
  const { name, detail } = await initBackend({ log: () => {} });
  // a stage's process is this far when it starts computing: node, the modules, the backend
  const ready = performance.now() / 1000;
  // each step before it is timed: if it runs the backend out of memory, the parent knows which
  const onAttempt = (key: string, side: number, batch: number) => process.stdout.write(`${JSON.stringify({ attempt: { key, side, batch } })}\n`);
  const m = machineMeasurer({ ...request.options, onAttempt }) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const one = async (call: MeasureCall): Promise<unknown> => {
    const result = await m[call.method](...call.args);
    return call.method === 'startup' ? { ...(result as object), process: ready } : result;
  };
  let seconds: unknown;
  if (request.method === 'batch') {
    // one after another, each timed alone; one that fails says why and the others go on
    const out: ({ seconds: unknown } | { error: string })[] = [];
    for (const call of request.args[0]) {
      try {
        out.push({ seconds: await one(call) });
      } catch (err) {
        out.push({ error: (err as Error).message.split('\n')[0] });
      }
    }
    seconds = out;
  } else seconds = await one(request);
  const memory: ProcessMemory | undefined = training && request.memory ? await processMemory() : undefined;
  reply = { seconds, backend: { name, detail }, ready, ...(memory ? { memory } : {}) };
} catch (err) {
  reply = { error: (err as Error).message.split('\n')[0] };
}
// the card the parent gave this process, as it saw it
reply.env = { CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES ?? null, [ALLOW_GROWTH_ENV]: process.env[ALLOW_GROWTH_ENV] ?? null };
process.stdout.write(`${JSON.stringify(reply)}\n`);
