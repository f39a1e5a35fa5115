// Dense CRF (fully connected, Gaussian pairwise terms, permutohedral-lattice mean-field).
export {
  argmaxLabels,
  chwToHwc,
  crfLabels,
  DEFAULT_CRF_PARAMS,
  denseCrf,
  resolveParams,
  type CrfEngine,
  type CrfParams,
} from './dense-crf.ts';
export { buildLattice, latticeFilter, type Lattice } from './permutohedral.ts';
export { releaseCrfMemory, wasmSimdAvailable } from './wasm-mean-field.ts';
export type { CrfTask } from './worker.ts';
