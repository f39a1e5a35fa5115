// A MATLAB Level 5 MAT-file writer for test fixtures (SBD-style cls/*.mat), written from the
// format document independently of lib/data/mat5.ts: plain, small and miCOMPRESSED elements, both
// byte orders, numbers stored in a narrower type than their class as MATLAB itself does.
import { deflateSync } from 'node:zlib';

export type WValue =
  | { kind: 'numeric'; class: 'double' | 'uint8' | 'int32' | 'single'; dims: number[]; data: ArrayLike<number>; storage?: 'uint8' | 'double' | 'int16' }
  | { kind: 'char'; text: string }
  | { kind: 'sparse'; dims: number[]; ir: number[]; jc: number[]; data: number[] }
  | { kind: 'cell'; dims: number[]; cells: WValue[] }
  | { kind: 'struct'; fields: string[]; values: Record<string, WValue> };

const MI = { int8: 1, uint8: 2, int16: 3, uint16: 4, int32: 5, uint32: 6, single: 7, double: 9, matrix: 14, compressed: 15 } as const;
const MX = { cell: 1, struct: 2, char: 4, sparse: 5, double: 6, single: 7, uint8: 9, int32: 12 } as const;
const WIDTH: Record<string, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, single: 4, double: 8 };

class Writer {
  constructor(readonly le: boolean) {}

  /** one element: small form for bodies up to 4 bytes (when allowed), else tag + body padded to 8 */
  element(type: number, body: Buffer, small = true): Buffer {
    if (small && body.length <= 4 && type !== MI.matrix) {
      const out = Buffer.alloc(8);
      const v = new DataView(out.buffer);
      v.setUint32(0, (body.length << 16) | type, this.le);
      body.copy(out, 4);
      return out;
    }
    const pad = type === MI.compressed ? 0 : (8 - (body.length % 8)) % 8;
    const out = Buffer.alloc(8 + body.length + pad);
    const v = new DataView(out.buffer);
    v.setUint32(0, type, this.le);
    v.setUint32(4, body.length, this.le);
    body.copy(out, 8);
    return out;
  }

  numbers(type: keyof typeof WIDTH, values: ArrayLike<number>): Buffer {
    const w = WIDTH[type];
    const out = Buffer.alloc(values.length * w);
    const v = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      switch (type) {
        case 'int8':
          v.setInt8(i, x);
          break;
        case 'uint8':
          v.setUint8(i, x);
          break;
        case 'int16':
          v.setInt16(i * 2, x, this.le);
          break;
        case 'uint16':
          v.setUint16(i * 2, x, this.le);
          break;
        case 'int32':
          v.setInt32(i * 4, x, this.le);
          break;
        case 'uint32':
          v.setUint32(i * 4, x, this.le);
          break;
        case 'single':
          v.setFloat32(i * 4, x, this.le);
          break;
        default:
          v.setFloat64(i * 8, x, this.le);
      }
    }
    return this.element(MI[type as keyof typeof MI], out);
  }

  matrix(name: string, value: WValue): Buffer {
    const parts: Buffer[] = [];
    const head = (cls: number, dims: number[]) => {
      parts.push(this.numbers('uint32', [cls, 0]), this.numbers('int32', dims), this.element(MI.int8, Buffer.from(name, 'latin1')));
    };
    switch (value.kind) {
      case 'numeric': {
        head(MX[value.class], value.dims);
        parts.push(this.numbers(value.storage ?? value.class, value.data));
        break;
      }
      case 'char': {
        head(MX.char, [1, value.text.length]);
        parts.push(
          this.numbers(
            'uint16',
            [...value.text].map((c) => c.charCodeAt(0)),
          ),
        );
        break;
      }
      case 'sparse': {
        head(MX.sparse, value.dims);
        parts.push(this.numbers('int32', value.ir), this.numbers('int32', value.jc), this.numbers('double', value.data));
        break;
      }
      case 'cell': {
        head(MX.cell, value.dims);
        for (const c of value.cells) parts.push(this.matrix('', c));
        break;
      }
      case 'struct': {
        head(MX.struct, [1, 1]);
        const len = Math.max(...value.fields.map((f) => f.length)) + 1;
        const names = Buffer.alloc(len * value.fields.length);
        value.fields.forEach((f, i) => {
          names.write(f, i * len, 'latin1');
        });
        parts.push(this.numbers('int32', [len]), this.element(MI.int8, names));
        for (const f of value.fields) parts.push(this.matrix('', value.values[f]));
        break;
      }
    }
    return this.element(MI.matrix, Buffer.concat(parts), false);
  }
}

export interface MatWriteOptions {
  /** wrap each variable in miCOMPRESSED (MATLAB's default since v7); default true */
  compress?: boolean;
  /** big-endian file ('MI'); default little-endian ('IM') */
  bigEndian?: boolean;
}

export function writeMat5(vars: Record<string, WValue>, opts: MatWriteOptions = {}): Buffer {
  const w = new Writer(!opts.bigEndian);
  const header = Buffer.alloc(128, ' ');
  header.write('MATLAB 5.0 MAT-file, Platform: test, Created on: Thu Jan  1 00:00:00 1970', 0, 'latin1');
  header.fill(0, 116, 124);
  const v = new DataView(header.buffer);
  v.setUint16(124, 0x0100, !opts.bigEndian);
  header.write(opts.bigEndian ? 'MI' : 'IM', 126, 'latin1');
  const body = Object.entries(vars).map(([name, value]) => {
    const m = w.matrix(name, value);
    return opts.compress === false ? m : w.element(MI.compressed, deflateSync(m), false);
  });
  return Buffer.concat([header, ...body]);
}

/** An SBD cls/<id>.mat: GTcls with Boundaries (a cell of sparse edge maps), Segmentation, CategoriesPresent. */
export function sbdClsMat(labels: { width: number; height: number; data: Uint8Array }, opts: MatWriteOptions & { storage?: 'double' | 'uint8' } = {}): Buffer {
  const { width, height } = labels;
  const colMajor = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) colMajor[x * height + y] = labels.data[y * width + x];
  const present = [...new Set(labels.data)].filter((c) => c > 0).sort((a, b) => a - b);
  const boundaries: WValue[] = Array.from({ length: 20 }, () => ({
    kind: 'sparse',
    dims: [height, width],
    ir: [],
    jc: new Array(width + 1).fill(0),
    data: [],
  }));
  // one edge pixel in the first present class's map, so a sparse matrix with content is read too
  if (present.length) boundaries[present[0] - 1] = { kind: 'sparse', dims: [height, width], ir: [0], jc: [0, ...new Array(width).fill(1)], data: [1] };
  const segmentation: WValue =
    opts.storage === 'double'
      ? { kind: 'numeric', class: 'double', dims: [height, width], data: colMajor, storage: 'uint8' }
      : { kind: 'numeric', class: 'uint8', dims: [height, width], data: colMajor };
  return writeMat5(
    {
      GTcls: {
        kind: 'struct',
        fields: ['Boundaries', 'Segmentation', 'CategoriesPresent'],
        values: {
          Boundaries: { kind: 'cell', dims: [20, 1], cells: boundaries },
          Segmentation: segmentation,
          CategoriesPresent: { kind: 'numeric', class: 'uint8', dims: [present.length, 1], data: present },
        },
      },
    },
    opts,
  );
}
