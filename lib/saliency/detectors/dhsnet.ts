// `dhsnet`: DHSNet in tfjs (../dhsnet.ts, loaded when built). Its weights come from saliency-train
// (input `weights`) or from saliency-s1.model (converted weights); each pass keeps them in its own
// artifact (KEPT_FILES) and the spec names them by that relative path and their content hash, so
// the next pass finds them in the pass before and item keys follow the weights' bytes.
import { z } from 'zod';
import { defineDetector, KEPT_FILES } from '../detector-plugin.ts';
import { DHSNET_VARIANTS } from '../spec.ts';

export const dhsnetSpecSchema = z
  .object({
    kind: z.literal('dhsnet'),
    /**
     * folder of tfjs-format weights (model.json + shards): a saliency-train checkpoint, or weights
     * converted from another framework under our parameter names (lib/saliency/README.md)
     */
    weights: z.string().min(1),
    /** content hash of the weights: what keys the maps when `weights` is a path that may move */
    weightsHash: z.string().optional(),
    /** for weights without our metadata: which network and input [height, width] they are for */
    variant: z.enum(DHSNET_VARIANTS).optional(),
    inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  })
  .strict();
export type DhsnetSpec = z.infer<typeof dhsnetSpecSchema>;

export const dhsnetDetector = defineDetector({
  name: 'dhsnet',
  summary: 'DHSNet (Liu and Han 2016) in tfjs; weights from saliency-train, or model: converted weights',
  spec: dhsnetSpecSchema,
  tensors: true,
  fromParams: (c) => ({ ...c.options, weights: KEPT_FILES }),
  readsWeights: (c) => !c.model,
  refuse: (c, hasWeightsInput) =>
    !c.model && !hasWeightsInput
      ? {
          key: 'model',
          message: 'detector dhsnet needs weights: map saliency-train to input weights (pipeline.yaml does) or set model to a folder of converted weights',
        }
      : null,
  async firstPass(spec, files) {
    return { ...spec, weights: KEPT_FILES, weightsHash: await files.keep(files.givenWeights()) };
  },
  async erasePass(_spec, files) {
    await files.keep(files.previousKept());
  },
  located: (spec, at) => ({ spec: { ...spec, weights: at.weights() } }),
  async create(spec) {
    const { createDhsnetDetector } = await import('../dhsnet.ts');
    return createDhsnetDetector(spec);
  },
});
