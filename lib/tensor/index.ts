// Public surface of lib/tensor. Importing it loads tfjs; code that does not train should import it
// lazily (await import('../tensor/index.ts')).

export { initBackend, parseBackendName, wasmDistDir, BACKEND_NAMES, BACKEND_ENV } from './backend.ts';
export type { BackendInfo, BackendName, InitBackendOptions } from './backend.ts';
export { atrousConv2d, conv2d } from './atrous.ts';
export type { Conv2dOptions, Padding } from './atrous.ts';
export { conv2dFilterGrad, conv2dInputGrad } from './conv-grads.ts';
export type { ConvSpec, ConvPadding } from './conv-grads.ts';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './wasm-kernels.ts';
export { MomentumSgd } from './sgd.ts';
export type { MomentumSgdOptions, ParamOptions } from './sgd.ts';
export { polyLr } from './schedule.ts';
export {
  saveCheckpoint, loadCheckpoint, findCheckpoint, assignWeights, disposeCheckpoint, CHECKPOINT_FORMAT,
} from './checkpoint.ts';
export type { CheckpointData, LoadedCheckpoint } from './checkpoint.ts';
export {
  Prng, seededNormal, seededUniform, seededNormalArray, seededUniformArray, heNormalFilter, deriveSeed,
} from './random.ts';
export { createReferenceNet, referenceNetMacs } from './reference-net.ts';
export type { ReferenceNet } from './reference-net.ts';
