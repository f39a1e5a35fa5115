// Plain data shapes shared across lib/ folders. Kept dependency-free so any module (and any worker
// thread) can import them without pulling in tensors, images or the executor.

/** An 8-bit RGB image, row-major, interleaved (HWC). `data.length === width * height * 3`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A single-channel 8-bit map at image resolution: label ids (0 background, class ids, 255 void) or a [0,255] map. */
export interface Map8 {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A single-channel float map, e.g. saliency or attention in [0, 1]. */
export interface MapF32 {
  width: number;
  height: number;
  data: Float32Array;
}

/** Progress sink a long computation reports to; the executor renders it (bar on a TTY, lines otherwise). */
export interface ProgressSink {
  /** total units of work, when known */
  start(total: number, label?: string): void;
  /** advance by n units; extra fields (loss, lr, ...) are shown next to the bar */
  tick(n?: number, fields?: Record<string, number | string>): void;
  done(): void;
}

export const silentProgress: ProgressSink = { start() {}, tick() {}, done() {} };

/** VOC class names, index = class id (0 background, then the objects). The toy set uses the same list.
 * Every other module takes its class list from the dataset artifact (lib/layouts/dataset.ts). */
export const VOC_CLASSES = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
] as const;

export const VOID_LABEL = 255;
