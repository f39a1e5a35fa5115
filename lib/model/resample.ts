// TensorFlow 1 resampling on typed arrays (align_corners=False, no half-pixel centres): the source
// coordinate of output pixel i is i * in / out (scale computed in float32, as TF does), clamped
// at the far edge. Used where DCSP resizes outside the network: scale augmentation (bilinear image,
// nearest label) and cue downsampling to the logits' size (nearest).

function tfScale(inSize: number, outSize: number): number {
  return Math.fround(inSize / outSize);
}

/** Nearest: src = min(floor(dst * in / out), in - 1). Single-channel maps (labels). */
export function resizeNearestTf1(src: Uint8Array, height: number, width: number, outH: number, outW: number): Uint8Array {
  if (src.length !== height * width) throw new Error(`resizeNearestTf1: ${src.length} values for ${height}x${width}`);
  const sy = tfScale(height, outH);
  const sx = tfScale(width, outW);
  const cols = new Int32Array(outW);
  for (let x = 0; x < outW; x++) cols[x] = Math.min(Math.floor(Math.fround(x * sx)), width - 1);
  const out = new Uint8Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const row = Math.min(Math.floor(Math.fround(y * sy)), height - 1) * width;
    for (let x = 0; x < outW; x++) out[y * outW + x] = src[row + cols[x]];
  }
  return out;
}

/** Bilinear, HWC float with `channels` channels. */
export function resizeBilinearTf1(src: Float32Array, height: number, width: number, channels: number, outH: number, outW: number): Float32Array {
  if (src.length !== height * width * channels) throw new Error(`resizeBilinearTf1: ${src.length} values for ${height}x${width}x${channels}`);
  const sy = tfScale(height, outH);
  const sx = tfScale(width, outW);
  const x0 = new Int32Array(outW),
    x1 = new Int32Array(outW),
    fx = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const s = Math.fround(x * sx);
    const f = Math.floor(s);
    x0[x] = Math.min(f, width - 1);
    x1[x] = Math.min(f + 1, width - 1);
    fx[x] = s - f;
  }
  const out = new Float32Array(outH * outW * channels);
  for (let y = 0; y < outH; y++) {
    const s = Math.fround(y * sy);
    const f = Math.floor(s);
    const r0 = Math.min(f, height - 1) * width,
      r1 = Math.min(f + 1, height - 1) * width;
    const fy = s - f;
    for (let x = 0; x < outW; x++) {
      const a = (r0 + x0[x]) * channels,
        b = (r0 + x1[x]) * channels;
      const c = (r1 + x0[x]) * channels,
        d = (r1 + x1[x]) * channels;
      const o = (y * outW + x) * channels;
      for (let k = 0; k < channels; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * fx[x];
        const bottom = src[c + k] + (src[d + k] - src[c + k]) * fx[x];
        out[o + k] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}
