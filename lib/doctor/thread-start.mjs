// A worker thread started as a per-item stage starts its own (lib/exec/item-worker.mjs): tsx, the
// backend, the model code. The time until it says ready is what a per-item stage pays to start.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { initBackend } = await import('../tensor/backend.ts');
await import('../model/build.ts');
await initBackend({ log: () => {} });
parentPort.postMessage('ready');
