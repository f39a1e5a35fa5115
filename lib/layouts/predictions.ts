// An evaluation's artifact (eval, eval-oracle, eval-direct): the predicted label map per image of
// the split, plus confusion.json and, on the test split, the VOC server's files (lib/data/voc-server-results.ts).
import { ItemMaps8 } from './item-maps.ts';

export const PREDICTIONS = new ItemMaps8('prediction');
export const CONFUSION_FILE = 'confusion.json';
