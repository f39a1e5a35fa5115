// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) and the masked form TFRecord frames carry.
// Our own rather than a package: the event writer needs one table-driven loop over a few hundred
// bytes per record; crc-32 on the npm registry has a crc32c module (pure JS, no dependencies) that
// would fit, but its last release is years old, and the native ones (@node-rs/crc32, fast-crc32c)
// bring platform binaries for a job this small.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits plus a constant, so a CRC of CRCs stays distinct. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
