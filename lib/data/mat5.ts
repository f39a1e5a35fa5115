// A reader for MATLAB Level 5 MAT-files (the format of SBD's cls/*.mat and inst/*.mat), written
// from MathWorks' "MAT-File Format" document: a 128-byte header, then tagged data elements, each
// either plain (8-byte tag, body padded to 8 bytes), "small" (type and size packed in the first 4
// bytes, up to 4 bytes of body in the next 4) or miCOMPRESSED (a zlib stream holding one element).
// Numeric arrays, logical, char, sparse, cell and struct arrays are read; objects and function
// handles are refused by name. Numbers come back as float64 in MATLAB's column-major order.

import { inflateSync } from 'node:zlib';

export type MatValue = MatNumeric | MatChar | MatSparse | MatCell | MatStruct;

export interface MatNumeric {
  kind: 'numeric';
  /** MATLAB class: double, single, int8, uint8, ..., logical */
  class: string;
  dims: number[];
  /** column-major values; imaginary parts are dropped */
  data: Float64Array;
}

export interface MatChar {
  kind: 'char';
  dims: number[];
  text: string;
}

export interface MatSparse {
  kind: 'sparse';
  dims: number[];
  /** row index of each stored value, start of each column in ir, stored values */
  ir: Int32Array;
  jc: Int32Array;
  data: Float64Array;
}

export interface MatCell {
  kind: 'cell';
  dims: number[];
  cells: MatValue[];
}

export interface MatStruct {
  kind: 'struct';
  dims: number[];
  fields: string[];
  /** one record per element, column-major */
  elements: Record<string, MatValue>[];
}

export class MatFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'MatFileError';
  }
}

// data types (miXXX) and array classes (mxXXX) of the format
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;
const CLASS_NAMES: Record<number, string> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const MX = { CELL: 1, STRUCT: 2, OBJECT: 3, CHAR: 4, SPARSE: 5 } as const;
const FLAG_LOGICAL = 0x200;

interface Element {
  type: number;
  body: Uint8Array;
}

class Reader {
  private readonly view: DataView;
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  fail(message: string): never {
    throw new MatFileError(this.file, message);
  }

  /** the next element; a compressed one is inflated and its inner element returned */
  next(): Element {
    if (this.pos + 8 > this.bytes.length) this.fail(`truncated element tag at byte ${this.pos}`);
    const first = this.view.getUint32(this.pos, this.le);
    if (first >>> 16 !== 0) {
      // small element: size in the upper half, type in the lower, body in the next 4 bytes
      const size = first >>> 16;
      if (size > 4) this.fail(`small element of ${size} bytes at byte ${this.pos}`);
      const body = this.bytes.subarray(this.pos + 4, this.pos + 4 + size);
      this.pos += 8;
      return { type: first & 0xffff, body };
    }
    const size = this.view.getUint32(this.pos + 4, this.le);
    const start = this.pos + 8;
    if (start + size > this.bytes.length) this.fail(`element of ${size} bytes at byte ${this.pos} runs past the end (${this.bytes.length} bytes)`);
    const body = this.bytes.subarray(start, start + size);
    if (first === MI.COMPRESSED) {
      this.pos = start + size;
      let inner: Uint8Array;
      try {
        inner = inflateSync(body);
      } catch (err) {
        this.fail(`compressed element at byte ${start - 8} does not inflate (${(err as Error).message})`);
      }
      return new Reader(inner, this.le, this.file).next();
    }
    this.pos = start + Math.ceil(size / 8) * 8;
    return { type: first, body };
  }
}

/** Numbers of an element's body by its storage type (MATLAB stores e.g. a double array as uint8 when it can). */
function numbers(r: Reader, e: Element): Float64Array {
  const v = new DataView(e.body.buffer, e.body.byteOffset, e.body.byteLength);
  const width: Record<number, number> = {
    [MI.INT8]: 1,
    [MI.UINT8]: 1,
    [MI.INT16]: 2,
    [MI.UINT16]: 2,
    [MI.INT32]: 4,
    [MI.UINT32]: 4,
    [MI.SINGLE]: 4,
    [MI.DOUBLE]: 8,
    [MI.INT64]: 8,
    [MI.UINT64]: 8,
    [MI.UTF8]: 1,
    [MI.UTF16]: 2,
    [MI.UTF32]: 4,
  };
  const w = width[e.type];
  if (w === undefined) r.fail(`element type ${e.type} is not numeric`);
  const n = Math.floor(e.body.byteLength / w);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * w;
    switch (e.type) {
      case MI.INT8:
        out[i] = v.getInt8(o);
        break;
      case MI.UINT8:
      case MI.UTF8:
        out[i] = v.getUint8(o);
        break;
      case MI.INT16:
        out[i] = v.getInt16(o, r.le);
        break;
      case MI.UINT16:
      case MI.UTF16:
        out[i] = v.getUint16(o, r.le);
        break;
      case MI.INT32:
        out[i] = v.getInt32(o, r.le);
        break;
      case MI.UINT32:
      case MI.UTF32:
        out[i] = v.getUint32(o, r.le);
        break;
      case MI.SINGLE:
        out[i] = v.getFloat32(o, r.le);
        break;
      case MI.DOUBLE:
        out[i] = v.getFloat64(o, r.le);
        break;
      case MI.INT64:
        out[i] = Number(v.getBigInt64(o, r.le));
        break;
      default:
        out[i] = Number(v.getBigUint64(o, r.le));
    }
  }
  return out;
}

const ascii = (b: Uint8Array): string => Buffer.from(b).toString('latin1').replace(/\0+$/, '');
const count = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** One miMATRIX body: flags, dimensions, name, then what its class holds. */
function matrix(r: Reader, e: Element, where: string): { name: string; value: MatValue } {
  if (e.type !== MI.MATRIX) r.fail(`${where}: expected an array (miMATRIX), found element type ${e.type}`);
  // an empty field of a struct is an element with no body
  if (e.body.byteLength === 0) return { name: '', value: { kind: 'numeric', class: 'double', dims: [0, 0], data: new Float64Array(0) } };
  const m = new Reader(e.body, r.le, r.file);
  const flags = numbers(r, m.next());
  const cls = flags[0] & 0xff;
  const dims = Array.from(numbers(r, m.next()));
  const name = ascii(m.next().body);
  const at = name ? `${where}.${name}` : where;
  switch (cls) {
    case MX.CELL: {
      const cells: MatValue[] = [];
      for (let i = 0; i < count(dims); i++) cells.push(matrix(r, m.next(), `${at}{${i + 1}}`).value);
      return { name, value: { kind: 'cell', dims, cells } };
    }
    case MX.STRUCT: {
      const len = numbers(r, m.next())[0];
      const raw = m.next().body;
      const fields: string[] = [];
      for (let o = 0; len > 0 && o + len <= raw.byteLength; o += len) fields.push(ascii(raw.subarray(o, o + len)));
      const elements: Record<string, MatValue>[] = [];
      for (let i = 0; i < count(dims); i++) {
        const rec: Record<string, MatValue> = {};
        for (const f of fields) rec[f] = matrix(r, m.next(), `${at}.${f}`).value;
        elements.push(rec);
      }
      return { name, value: { kind: 'struct', dims, fields, elements } };
    }
    case MX.CHAR: {
      const codes = m.done ? new Float64Array(0) : numbers(r, m.next());
      return { name, value: { kind: 'char', dims, text: String.fromCodePoint(...codes) } };
    }
    case MX.SPARSE: {
      const ir = Int32Array.from(numbers(r, m.next()));
      const jc = Int32Array.from(numbers(r, m.next()));
      const data = m.done ? new Float64Array(0) : numbers(r, m.next());
      return { name, value: { kind: 'sparse', dims, ir, jc, data } };
    }
    case MX.OBJECT:
      return r.fail(`${at}: MATLAB objects are not supported`);
    default: {
      const className = CLASS_NAMES[cls];
      if (className === undefined) r.fail(`${at}: array class ${cls} is not supported`);
      const data = m.done ? new Float64Array(0) : numbers(r, m.next());
      if (data.length !== count(dims)) r.fail(`${at}: ${data.length} values for dimensions ${dims.join('x')}`);
      // a complex array's imaginary part follows; nothing here needs it
      return { name, value: { kind: 'numeric', class: flags[0] & FLAG_LOGICAL ? 'logical' : className, dims, data } };
    }
  }
}

/** Every top-level variable of a Level 5 MAT-file, by name. */
export function readMat5(bytes: Uint8Array, file = '<buffer>'): Map<string, MatValue> {
  if (bytes.byteLength < 128) throw new MatFileError(file, `${bytes.byteLength} bytes: too short for a MAT-file header`);
  const head = ascii(bytes.subarray(0, 116));
  if (!head.startsWith('MATLAB 5.0 MAT-file')) {
    throw new MatFileError(
      file,
      head.startsWith('MATLAB 7.3') ? 'a v7.3 (HDF5) MAT-file; save it with -v7 or read it as HDF5' : 'not a MATLAB Level 5 MAT-file',
    );
  }
  const endian = Buffer.from(bytes.subarray(126, 128)).toString('latin1');
  if (endian !== 'IM' && endian !== 'MI') throw new MatFileError(file, `unknown byte order mark '${endian}'`);
  const r = new Reader(bytes.subarray(128), endian === 'IM', file);
  const out = new Map<string, MatValue>();
  while (!r.done) {
    const { name, value } = matrix(r, r.next(), 'variable');
    out.set(name, value);
  }
  return out;
}
