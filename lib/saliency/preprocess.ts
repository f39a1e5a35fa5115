// How a network wants its input and how its output becomes a map: the keys the onnx and tfjs
// detectors share (detectors/onnx.ts, detectors/tfjs.ts; network-io.ts applies them).
import { z } from 'zod';

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * How a network wants its input and how its output becomes a map. `mean`/`std` apply after `scale`
 * and after channel reordering (so they are given in the network's channel order).
 */
export const preprocessSchema = z.object({
  /** network input size [width, height]; the image is resized to it ignoring aspect ratio */
  inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  /** 'unit': x/255; 'max': x/max(image) (U2-Net's own code); 'raw': 0..255 as is */
  scale: z.enum(['unit', 'max', 'raw']).optional(),
  mean: rgbTriple.optional(),
  std: rgbTriple.optional(),
  channelOrder: z.enum(['rgb', 'bgr']).optional(),
  layout: z.enum(['nchw', 'nhwc']).optional(),
  /** which output: index or name (default: the first) */
  output: z.union([z.number().int().nonnegative(), z.string()]).optional(),
  /** map post-processing: min-max stretch to [0,1], a sigmoid on logits, or clamp to [0,1] */
  normalize: z.enum(['minmax', 'sigmoid', 'clamp']).optional(),
  /** kernel for resizing the map back to the image size (the DCSP code uses bicubic) */
  upsample: z.enum(['cubic', 'triangle']).optional(),
});
export type Preprocess = z.infer<typeof preprocessSchema>;
