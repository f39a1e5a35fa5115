// The dense Gaussian kernel K[i][j] = exp(-|f_i - f_j|^2 / 2) computed exactly, O(n^2), with the
// symmetric normalisation D^-1/2 (D = K 1): the reference both lattice and mean-field tests check
// against.
export function exactGaussianKernel(f: Float32Array, n: number, d: number): { K: Float64Array; norm: Float64Array } {
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (f[i * d + k] - f[j * d + k]) ** 2;
      K[i * n + j] = Math.exp(-s / 2);
    }
  }
  const norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += K[i * n + j];
    norm[i] = 1 / Math.sqrt(s);
  }
  return { K, norm };
}
