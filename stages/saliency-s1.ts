import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem } from '../lib/steps/saliency-s1.ts';

export default defineStage({
  name: 'saliency-s1',
  version: 1,
  description: 'off-the-shelf salient-object detector on every train image -> S1',
  params,
  inputs: ['dataset', 'weights'],
  optionalInputs: ['weights'],
  // the trained DHSNet only when it is the detector: otherwise saliency-train (on_demand) never runs
  inputsUsed: (p) => (p.detector === 'dhsnet' && !p.model ? ['weights'] : []),
  refuse: (p, upstream) => {
    if ((p.detector === 'onnx' || p.detector === 'tfjs') && !p.model) {
      return { key: 'model', message: `detector ${p.detector} needs a model (${p.detector === 'onnx' ? 'an .onnx file or u2netp / u2net' : 'a tfjs model folder'})` };
    }
    if (p.detector === 'dhsnet' && !p.model && !upstream('weights')) {
      return { key: 'model', message: 'detector dhsnet needs weights: map saliency-train to input weights (pipeline.yaml does) or set model to a folder of converted weights' };
    }
    return null;
  },
  // boundary is plain JS, onnx and isnet run on onnxruntime: only these two are tfjs networks
  tensors: (p) => p.detector === 'tfjs' || p.detector === 'dhsnet',
  perItem,
});
