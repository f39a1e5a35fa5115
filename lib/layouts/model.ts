// A training stage's artifact (fcan-pretrain, train, retrain, train-oracle; saliency-train keeps
// its curve the same way): the final weights as a checkpoint folder, the loss curve, and for an
// ImageNet start what was loaded.
export const CHECKPOINT_DIR = 'checkpoint';
export const CURVE_FILE = 'curve.json';
/** fcan-pretrain with an ImageNet init: the file, what it set, and a hash of every parameter before training */
export const INIT_FILE = 'init.json';
