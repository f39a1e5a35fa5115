// How good are the cues, measured against ground truth (only possible on data that has it): the
// mIoU of the cue label maps, and foreground precision / recall, both class-aware (a pixel counts
// when its cue equals its ground-truth class) and class-agnostic (object vs background). Pixels
// whose ground truth is void (255) are skipped.

import { ConfusionMatrix } from '../metrics/confusion.ts';
import { VOID_LABEL } from '../types.ts';

export interface CueQualityScores {
  meanIoU: number;
  iou: number[];
  /** class-aware: correct foreground / cue foreground */
  precision: number;
  /** class-aware: correct foreground / ground-truth foreground */
  recall: number;
  /** class-agnostic: (cue fg and gt fg) / cue fg */
  fgPrecision: number;
  /** class-agnostic: (cue fg and gt fg) / gt fg */
  fgRecall: number;
  pixels: number;
}

export class CueQuality {
  private readonly confusion: ConfusionMatrix;
  private correctFg = 0;
  private bothFg = 0;
  private cueFg = 0;
  private gtFg = 0;

  /** @param classes the dataset's class count, background included */
  constructor(classes: number) {
    this.confusion = new ConfusionMatrix(classes, VOID_LABEL);
  }

  add(cue: Uint8Array, gt: Uint8Array, name?: string): this {
    this.confusion.add(cue, gt, name);
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i];
      if (g === VOID_LABEL) continue;
      const c = cue[i];
      if (c !== 0) this.cueFg++;
      if (g !== 0) this.gtFg++;
      if (c !== 0 && g !== 0) {
        this.bothFg++;
        if (c === g) this.correctFg++;
      }
    }
    return this;
  }

  scores(): CueQualityScores {
    const s = this.confusion.scores();
    return {
      meanIoU: s.meanIoU,
      iou: s.iou,
      precision: this.correctFg / this.cueFg,
      recall: this.correctFg / this.gtFg,
      fgPrecision: this.bothFg / this.cueFg,
      fgRecall: this.bothFg / this.gtFg,
      pixels: s.pixels,
    };
  }
}
