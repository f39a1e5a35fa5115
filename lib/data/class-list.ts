// A dataset's class list: the names by class id (background first) and the colour of each id. The
// dataset artifact stores it (dataset.json's classNames and palette) and every later stage takes the
// class count and names from there. VOC's list is VOC_CLASSES (lib/types.ts), which the toy set
// shares; a folder of tagged images names its own.
import { VOC_CLASSES, VOID_LABEL } from '../types.ts';
import { type Rgb, vocPalette } from './palette.ts';

export interface ClassList {
  /** index = class id: 'background' first, then the object classes */
  names: string[];
  /** 256 colours, index = class id, VOID_LABEL's the void colour */
  palette: Rgb[];
}

/** VOC's 20 classes and palette (the voc and toy sources). */
export function vocClassList(): ClassList {
  return { names: [...VOC_CLASSES], palette: vocPalette() };
}

/** Background and the given object classes, coloured as VOC colours its ids (distinct up to 254 classes). */
export function classListOf(objectClasses: readonly string[]): ClassList {
  if (objectClasses.length < 1) throw new Error('a class list needs at least one object class');
  if (objectClasses.length >= VOID_LABEL) throw new Error(`${objectClasses.length} object classes: label maps hold at most ${VOID_LABEL - 1}`);
  return { names: ['background', ...objectClasses], palette: vocPalette() };
}
