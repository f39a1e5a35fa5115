// The MAT-file reader against files written by the test's own Level 5 writer (every element form,
// both byte orders, compressed or not), and SBD's GTcls converted to a row-major label map.
import { describe, expect, it } from 'vitest';
import { MatFileError, readMat5, type MatValue } from '../../lib/data/mat5.ts';
import { sbdLabelMap } from '../../lib/data/sbd-gt.ts';
import { Prng } from '../../lib/tensor/random.ts';
import { sbdClsMat, writeMat5 } from './mat5-writer.ts';

function labels(width: number, height: number, seed: number): { width: number; height: number; data: Uint8Array } {
  const rng = new Prng(seed);
  const data = new Uint8Array(width * height);
  // blocks of a few classes, so rows and columns differ (a transposed read would not match)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = x < width / 3 ? 0 : 1 + ((Math.floor(rng.next() * 3) + (y > height / 2 ? 14 : 0)) % 20);
  return { width, height, data };
}

describe('readMat5', () => {
  for (const opts of [{}, { compress: false }, { bigEndian: true }, { bigEndian: true, compress: false }]) {
    it(`reads numeric, char, sparse, cell and struct arrays (${JSON.stringify(opts)})`, () => {
      const bytes = writeMat5(
        {
          scalar: { kind: 'numeric', class: 'int32', dims: [1, 1], data: [-7] },
          m: { kind: 'numeric', class: 'double', dims: [2, 3], data: [1, 2, 3, 4, 5, 6.5] },
          compact: { kind: 'numeric', class: 'double', dims: [1, 4], data: [0, 1, 200, 255], storage: 'uint8' },
          s: { kind: 'char', text: 'GTcls' },
          sp: { kind: 'sparse', dims: [3, 2], ir: [0, 2, 1], jc: [0, 2, 3], data: [1, 1, 1] },
          c: {
            kind: 'cell',
            dims: [1, 2],
            cells: [
              { kind: 'char', text: 'a' },
              { kind: 'numeric', class: 'uint8', dims: [1, 1], data: [9] },
            ],
          },
          st: {
            kind: 'struct',
            fields: ['alpha', 'b'],
            values: { alpha: { kind: 'numeric', class: 'single', dims: [1, 1], data: [0.5] }, b: { kind: 'char', text: 'xy' } },
          },
        },
        opts,
      );
      const v = readMat5(bytes, 'test.mat');
      expect([...v.keys()]).toEqual(['scalar', 'm', 'compact', 's', 'sp', 'c', 'st']);
      expect(v.get('scalar')).toEqual({ kind: 'numeric', class: 'int32', dims: [1, 1], data: Float64Array.from([-7]) });
      expect(v.get('m')).toMatchObject({ class: 'double', dims: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6.5]) });
      expect(v.get('compact')).toMatchObject({ class: 'double', data: Float64Array.from([0, 1, 200, 255]) });
      expect(v.get('s')).toEqual({ kind: 'char', dims: [1, 5], text: 'GTcls' });
      const sp = v.get('sp') as Extract<MatValue, { kind: 'sparse' }>;
      expect([...sp.ir, -1, ...sp.jc]).toEqual([0, 2, 1, -1, 0, 2, 3]);
      const c = v.get('c') as Extract<MatValue, { kind: 'cell' }>;
      expect(c.cells.map((x) => x.kind)).toEqual(['char', 'numeric']);
      const st = v.get('st') as Extract<MatValue, { kind: 'struct' }>;
      expect(st.fields).toEqual(['alpha', 'b']);
      expect(st.elements[0].alpha).toMatchObject({ class: 'single', data: Float64Array.from([0.5]) });
      expect(st.elements[0].b).toMatchObject({ text: 'xy' });
    });
  }

  it('names what is wrong with a file it cannot read', () => {
    expect(() => readMat5(Buffer.from('hello'), 'a.mat')).toThrow(/a\.mat: 5 bytes: too short/);
    const notMat = Buffer.alloc(200, 32);
    expect(() => readMat5(notMat, 'b.mat')).toThrow(/b\.mat: not a MATLAB Level 5/);
    const v73 = Buffer.alloc(200, 32);
    v73.write('MATLAB 7.3 MAT-file', 0);
    expect(() => readMat5(v73, 'c.mat')).toThrow(/v7\.3 \(HDF5\)/);
    const good = writeMat5({ m: { kind: 'numeric', class: 'double', dims: [10, 10], data: new Array(100).fill(1) } }, { compress: false });
    expect(() => readMat5(good.subarray(0, good.length - 40), 'd.mat')).toThrow(MatFileError);
    const packed = writeMat5({ m: { kind: 'numeric', class: 'double', dims: [10, 10], data: new Array(100).fill(1) } });
    const broken = Buffer.from(packed);
    broken.fill(0xaa, 140, 150);
    expect(() => readMat5(broken, 'e.mat')).toThrow(/e\.mat: compressed element at byte \d+ does not inflate/);
  });
});

describe('sbdLabelMap (SBD cls/*.mat -> label map)', () => {
  it('reads GTcls.Segmentation in row-major order, stored as uint8 or as double, compressed or not', () => {
    const l = labels(23, 17, 3);
    for (const opts of [{}, { storage: 'double' as const }, { compress: false }, { bigEndian: true }]) {
      const map = sbdLabelMap(sbdClsMat(l, opts), 'x.mat');
      expect(map.width).toBe(23);
      expect(map.height).toBe(17);
      expect(Buffer.from(map.data).equals(Buffer.from(l.data))).toBe(true);
    }
  });

  it('refuses a file without GTcls and a label outside 0..20, naming the file and the pixel', () => {
    const other = writeMat5({
      GTinst: { kind: 'struct', fields: ['Segmentation'], values: { Segmentation: { kind: 'numeric', class: 'uint8', dims: [2, 2], data: [0, 0, 0, 0] } } },
    });
    expect(() => sbdLabelMap(other, 'inst.mat')).toThrow(/inst\.mat: no 1x1 struct GTcls/);
    const l = labels(5, 4, 1);
    l.data[2 * 5 + 3] = 255;
    expect(() => sbdLabelMap(sbdClsMat(l), 'bad.mat')).toThrow(/bad\.mat: GTcls\.Segmentation\(3,4\) is 255/);
  });
});
