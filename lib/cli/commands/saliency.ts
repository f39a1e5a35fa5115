// `pipeline saliency`: hierarchical saliency on one image, as a panel picture.
import { basename, extname, join, resolve } from 'node:path';
import { InputError } from '../../errors.ts';
import { checkImages } from '../check-images.ts';
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import type { Pipeline } from '../../dag/load.ts';
import type { HierarchicalOptions } from '../../saliency/hierarchical.ts';
import { locate, openPipeline } from '../open-pipeline.ts';

/** --detector: a bare kind (isnet) or a JSON spec, checked by the detector registry */
async function detectorSpec(detector: string | undefined): Promise<unknown> {
  if (!detector) return { kind: 'boundary' };
  let spec: unknown;
  if (/^[a-z][a-z0-9-]*$/.test(detector)) spec = { kind: detector };
  else {
    try {
      spec = JSON.parse(detector);
    } catch {
      throw new InputError(
        `pipeline saliency: --detector must be a detector kind (e.g. isnet) or a JSON detector spec, e.g. '{"kind":"onnx","model":"u2netp"}'`,
      );
    }
  }
  const { parseDetectorSpec } = await import('../../saliency/registry.ts');
  try {
    return parseDetectorSpec(spec);
  } catch (err) {
    throw new InputError(`pipeline saliency: --detector: ${(err as Error).message}`);
  }
}

/** The erase passes as this pipeline's profile (and --set) resolve them: the panel shows what the run computes. */
function eraseSettings(p: Pipeline): Pick<HierarchicalOptions, 'thresholds' | 'compare'> {
  const passes = ['erase-s2', 'erase-s3'].map((name) => {
    const stage = p.stages.get(name);
    if (!stage) throw new InputError(`pipeline saliency: profile ${p.profile} has no stage ${name}, whose threshold the panel uses`);
    return stage.params as { threshold: number; compare: HierarchicalOptions['compare'] };
  });
  if (passes[0].compare !== passes[1].compare)
    throw new InputError(
      `pipeline saliency: erase-s2 and erase-s3 compare differently (${passes[0].compare}, ${passes[1].compare}); the panel draws one comparison`,
    );
  return { thresholds: passes.map((s) => s.threshold), compare: passes[0].compare };
}

export const saliency = defineCommand({
  name: 'saliency',
  summary: 'S1, S2, S3 and the erase masks of one image, as a picture',
  usage: HELP.saliency,
  computes: true,
  options: { out: { type: 'string', short: 'o' }, labels: { type: 'string' }, detector: { type: 'string' } },
  positionals: true,
  async run(values, io, positionals) {
    if (positionals.length !== 1) throw new InputError('pipeline saliency: give exactly one image (see pipeline saliency --help)');
    const image = resolve(positionals[0]);
    const labels = values.labels === undefined ? undefined : resolve(values.labels);
    await checkImages('saliency', [image, ...(labels ? [labels] : [])]);
    const out = resolve(values.out ?? `saliency-${basename(image, extname(image))}.png`);
    const spec = await detectorSpec(values.detector);
    const { saliencyPanel } = await import('../saliency-panel.ts');
    // ISNet is cached where the saliency stages keep it: the cache's data folder
    const isnet = typeof spec === 'object' && spec !== null && 'kind' in spec && spec.kind === 'isnet';
    const modelDir = isnet ? join(locate(values).cache, 'data', 'isnet') : undefined;
    const erase = eraseSettings((await openPipeline(values)).p);
    for (const line of await saliencyPanel({ image, labels, out, spec, modelDir, erase })) io.out(line);
    return 0;
  },
});
