// TensorBoard's event file format, write side: TFRecord frames (uint64 length, masked CRC32C of the
// length, the data, masked CRC32C of the data; all little-endian) around `Event` protobufs.
//
// Field numbers, from tensorflow's core/util/event.proto and tensorboard's compat/proto
// summary.proto and tensor.proto:
//   Event          wall_time 1 (double), step 2 (int64), file_version 3 (string), summary 5,
//                  session_log 7
//   SessionLog     status 1 (enum: START = 1)
//   Summary        value 1 (repeated Value)
//   Summary.Value  tag 1, simple_value 2 (float), tensor 8 (TensorProto), metadata 9
//   SummaryMetadata plugin_data 1 { plugin_name 1, content 2 }
//   TensorProto    dtype 1 (DT_STRING = 7), tensor_shape 2 (empty: a scalar), string_val 8
//
// The protobuf encoding is our own: four message types, written only, never read; a wire-format
// writer is the forty lines below. Should the project ever need to read events or write more of
// the schema, @bufbuild/protobuf (maintained, no dependencies) is the package to take.
import { maskedCrc32c } from './crc32c.ts';

export const FILE_VERSION = 'brain.Event:2';

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** A protobuf message under construction: fields appended in the order written. */
class Message {
  private readonly parts: Uint8Array[] = [];

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  private varint(n: number): void {
    // steps are non-negative integers below 2^53: plain arithmetic keeps every bit
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`protobuf varint: ${n} is not a non-negative safe integer`);
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
    this.parts.push(Uint8Array.from(out));
  }
  uint(field: number, n: number): this {
    this.key(field, VARINT);
    this.varint(n);
    return this;
  }
  double(field: number, v: number): this {
    this.key(field, FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.parts.push(b);
    return this;
  }
  float(field: number, v: number): this {
    this.key(field, FIXED32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.parts.push(b);
    return this;
  }
  bytes(field: number, data: Uint8Array | string): this {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.key(field, BYTES);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }
  message(field: number, m: Message): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

function event(wallTime: number, step: number): Message {
  const e = new Message().double(1, wallTime);
  return step === 0 ? e : e.uint(2, step);
}

/** The first event of every file: its format version. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return event(wallTime, 0).bytes(3, FILE_VERSION).finish();
}

/**
 * SessionLog START at `step`: TensorBoard's restart marker. Its readers drop whatever an earlier
 * session logged at this step or after (the orphans of a run killed after its last checkpoint).
 */
export function sessionStartEvent(wallTime: number, step: number): Uint8Array {
  return event(wallTime, step).message(7, new Message().uint(1, 1)).finish();
}

/** Scalars of one step, as `simple_value`s (float32: what TensorBoard stores and shows). */
export function scalarsEvent(wallTime: number, step: number, values: readonly (readonly [string, number])[]): Uint8Array {
  const summary = new Message();
  for (const [tag, v] of values) summary.message(1, new Message().bytes(1, tag).float(2, v));
  return event(wallTime, step).message(5, summary).finish();
}

/** A text summary (TensorBoard's text dashboard renders it as Markdown). */
export function textEvent(wallTime: number, step: number, tag: string, text: string): Uint8Array {
  const metadata = new Message().message(1, new Message().bytes(1, 'text').bytes(2, new Uint8Array(0)));
  const tensor = new Message().uint(1, 7).message(2, new Message()).bytes(8, text);
  const value = new Message().bytes(1, tag).message(9, metadata).message(8, tensor);
  return event(wallTime, step).message(5, new Message().message(1, value)).finish();
}

/** One TFRecord frame around `data`. */
export function tfRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}
