// tfjs-node from several worker threads of one process, as per-item stages run it. The binding's
// process-wide set of attribute names is mutated by every op call; unpatched, four threads meeting
// the same new names at once crashed (abort, segfault) in 3 of 4 runs of this stress here, and a
// toy run hung on it (two workers spinning in the set's insert).
// lib/native/binding-patches.ts puts a lock around it; npm run tfjs-native compiles that in.
// Runs in CI's tfjs-node pass (DCSP_BACKEND=tfjs-node), in a child process: a thread spinning in
// native code cannot be stopped from JS, a process can be killed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingPatches } from '../../lib/native/binding-patches.ts';
import { TEST_BACKEND } from './test-backend.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const THREADS = 4;
const CALLS = 20_000;

// Each thread loads the binding, waits until all have, then makes CALLS op calls, each naming 50
// attributes no call has named before (the same names in every thread, as real ops' names are) and
// then one of a type the binding rejects, so the call ends before TensorFlow runs anything.
const STRESS = `
const { Worker } = require('node:worker_threads');
const worker = \`
  const { workerData, parentPort } = require('node:worker_threads');
  const b = require('@tensorflow/tfjs-node').backend();
  const x = require('@tensorflow/tfjs-node').tensor1d([1, 2, 3]);
  parentPort.postMessage('ready');
  Atomics.wait(new Int32Array(workerData.gate), 0, 0);
  let refused = 0;
  for (let i = 0; i < ${CALLS}; i++) {
    const attrs = Array.from({ length: 50 }, (_, k) => ({ name: 'a-' + i + '-' + k, type: b.binding.TF_ATTR_INT, value: 1 }));
    attrs.push({ name: 'T', type: 99, value: 0 });
    try { b.executeSingleOutput('Identity', attrs, [x]); } catch { refused++; }
  }
  parentPort.postMessage(refused);
\`;
const gate = new SharedArrayBuffer(4);
let ready = 0, refused = 0, done = 0;
for (let w = 0; w < ${THREADS}; w++) {
  new Worker(worker, { eval: true, workerData: { gate } }).on('message', (m) => {
    if (m === 'ready' && ++ready === ${THREADS}) { Atomics.store(new Int32Array(gate), 0, 1); Atomics.notify(new Int32Array(gate), 0); }
    if (typeof m === 'number') { refused += m; if (++done === ${THREADS}) { console.log('refused ' + refused); process.exit(0); } }
  }).on('error', (e) => { console.log('worker error: ' + e.message); process.exit(1); });
}
`;

describe.runIf(TEST_BACKEND === 'tfjs-node')('tfjs-node on several worker threads', () => {
  it('the built binding carries the patch', async () => {
    const dir = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node');
    expect(await missingPatches(dir)).toEqual([]);
  });

  it('survives threads naming the same new attributes at once', () => {
    for (let round = 0; round < 2; round++) {
      const r = spawnSync(process.execPath, ['-e', STRESS], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        killSignal: 'SIGKILL',
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
      });
      const how = r.signal ? `killed by ${r.signal}${r.error ? ' (hung past 60 s)' : ''}` : `exit ${r.status}`;
      expect({ round, how, out: r.stdout.trim() }).toEqual({ round, how: 'exit 0', out: `refused ${THREADS * CALLS}` });
    }
  }, 150_000);
});
