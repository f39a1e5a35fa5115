// The backend the tensor and model tests run on: wasm unless DCSP_BACKEND names another (CI runs
// these files a second time with DCSP_BACKEND=tfjs-node). A requested backend that cannot start
// fails the test run instead of falling back, so a green run on tfjs-node really ran there.
import { BACKEND_ENV, initBackend, parseBackendName, type BackendInfo, type BackendName } from '../../lib/tensor/backend.ts';
import { isNative, ONEDNN_ENV } from '../../lib/tensor/numerics.ts';

export const TEST_BACKEND: BackendName =
  process.env[BACKEND_ENV] !== undefined && process.env[BACKEND_ENV] !== '' ? parseBackendName(process.env[BACKEND_ENV], `env ${BACKEND_ENV}`) : 'wasm';

export async function useTestBackend(): Promise<BackendInfo> {
  // TensorFlow in the test's own process as a stage's runs by default: oneDNN's ops off (a stage's
  // numerics, lib/tensor/numerics.ts). With them on, ResNet-101's forward died of SIGFPE ("trap
  // divide error in libtensorflow.so.2") on an EPYC VM whose CPU reports no cache sizes.
  if (isNative(TEST_BACKEND)) process.env[ONEDNN_ENV] ??= '0';
  const info = await initBackend({ prefer: TEST_BACKEND, log: () => {} });
  if (info.name !== TEST_BACKEND) throw new Error(`tests asked for backend ${TEST_BACKEND} but got ${info.name}: ${info.skipped.join('; ')}`);
  return info;
}
