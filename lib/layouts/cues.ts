// The cues artifact (cues, cues-oracle, adapt): a label map per train image, 0 background,
// class ids, 255 void (the oracle's, where the ground truth is void).
import { ItemMaps8 } from './item-maps.ts';

export const CUES = new ItemMaps8('cue');
