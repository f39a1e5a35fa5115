// `pipeline predict`: the profile's trained network on any images, as the eval stage predicts: the
// eval stage's resolved params (profile, then --set, then this command's shorthands for them) decide
// the scales, the CRF and its settings, and the checkpoint; the classes and palette are the dataset's.
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.ts';
import { planPipeline } from '../../exec/plan.ts';
import { CHECKPOINT_DIR } from '../../layouts/model.ts';
import { checkImages } from '../check-images.ts';
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

/** --checkpoint, --no-crf and --scales as the --set overrides they stand for (eval's schema checks the values) */
function shorthands(stage: string, values: { checkpoint?: string; 'no-crf'?: boolean; scales?: string }): string[] {
  const set: string[] = [];
  if (values.checkpoint !== undefined) set.push(`${stage}.checkpoint=${values.checkpoint}`);
  if (values['no-crf']) set.push(`${stage}.crf=false`);
  if (values.scales !== undefined) {
    const scales = values.scales.split(',').map((s) => Number(s.trim()));
    if (scales.some((s) => !Number.isFinite(s)))
      throw new InputError(`pipeline predict: --scales must be numbers separated by commas, e.g. 1,0.5; got '${values.scales}'`);
    set.push(`${stage}.scales=${JSON.stringify(scales)}`);
  }
  return set;
}

export const predict = defineCommand({
  name: 'predict',
  summary: 'segment any images as eval does (its scales, CRF, checkpoint): palette PNGs and overlays',
  usage: HELP.predict,
  computes: true,
  options: {
    out: { type: 'string', short: 'o' },
    stage: { type: 'string' },
    checkpoint: { type: 'string' },
    'no-crf': { type: 'boolean' },
    scales: { type: 'string' },
  },
  positionals: true,
  async run(values, io, positionals) {
    if (!positionals.length) throw new InputError('pipeline predict: give one or more images (see pipeline predict --help)');
    const images = positionals.map((f) => resolve(f));
    await checkImages('predict', images);
    const name = values.stage ?? 'eval';
    const { p, store } = await openPipeline(values, { set: shorthands(name, values) });
    const stage = p.stages.get(name);
    if (!stage) throw new InputError(`pipeline predict: --stage ${name}: no such stage in profile ${p.profile} (stages: ${p.order.join(', ')})`);
    // loaded here: it reads lib/crf's parameter names, which no other command needs at start
    const { evalSettings } = await import('../eval-settings.ts');
    const settings = evalSettings('predict', stage);
    const model = settings.modelStage;
    const plans = await planPipeline(p, store, [...p.ancestors(model), model, settings.datasetStage]);
    const cached = (s: string): string => {
      const plan = plans.get(s)!;
      if (plan.state !== 'cached' || !plan.manifest) {
        throw new InputError(
          `pipeline predict: ${s} is not in the cache for profile ${p.profile} (${plan.reasons.join('; ')}); run \`pipeline run --until ${model}\` first`,
        );
      }
      return store.artifactDir(s, plan.manifest.key);
    };
    const modelDir = cached(model);
    io.err(`${name}'s settings: ${model} checkpoint, ${settings.crf ? 'CRF' : 'no CRF'}, scales ${settings.scales.join('/')}`);
    const { predictImages } = await import('../predict-images.ts');
    await predictImages({
      checkpointDir: join(modelDir, CHECKPOINT_DIR),
      datasetDir: cached(settings.datasetStage),
      images,
      out: resolve(values.out ?? 'predictions'),
      settings,
      log: io.out,
    });
    return 0;
  },
});
