// Public surface of lib/model. Importing it loads tfjs; stages import it lazily. The pure parts
// (cues.ts, adapt.ts, attention-norm.ts, cue-quality.ts, augment.ts, resample.ts, preprocess.ts)
// can be imported on their own without tfjs.

export { buildModel, loadModel, loadModelWeights, isModelName } from './build.ts';
export type { BuildOptions } from './build.ts';
export { MODEL_NAMES, HEAD_LAYER } from './model.ts';
export type { ModelName, SegmentationModel, ModelOutputs, ForwardOptions } from './model.ts';
export { countParams } from './params.ts';
export type { ParamInfo, ParamKind, ParamGroup } from './params.ts';
export { deeplabLiteMacs } from './deeplab-lite.ts';
export { loadKerasWeights, readKerasH5, kerasMapping } from './keras-weights.ts';
export type { InitReport, KerasWeights, WeightSource } from './keras-weights.ts';
export { IMAGENET_WEIGHTS, resolveImagenetWeights, downloadChecked, md5File } from './init-download.ts';
export type { WeightsFile } from './init-download.ts';
export { MEAN_BGR, toNetworkInput } from './preprocess.ts';
export { augment, sampleRng } from './augment.ts';
export type { AugmentOptions, AugmentedSample } from './augment.ts';
export { resizeBilinearTf1, resizeNearestTf1 } from './resample.ts';
export { fcanLoss, segLoss, classTargets, downsampleCues, l2Term } from './losses.ts';
export { planParams, lrMultiplier } from './optimiser.ts';
export type { Objective, Routing, TrainScope, ParamPlan } from './optimiser.ts';
export { trainLoop, NonFiniteLossError } from './train-loop.ts';
export type { TrainLoopOptions, TrainResult, TrainSample, Sampler, CurvePoint } from './train-loop.ts';
export { multiScaleTensor, multiScaleLogits, attentionMaps, adaptImage, predict, DEFAULT_SCALES } from './inference.ts';
export type { DenseOutput, OutputHead } from './inference.ts';
export { normaliseAttention } from './attention-norm.ts';
export type { AttentionMaps } from './attention-norm.ts';
export { adaptCues } from './adapt.ts';
export type { AdaptMasking } from './adapt.ts';
export { cuesFromAttention, combine } from './cues.ts';
export type { CueMean, CueOptions } from './cues.ts';
export { CueQuality } from './cue-quality.ts';
export type { CueQualityScores } from './cue-quality.ts';
