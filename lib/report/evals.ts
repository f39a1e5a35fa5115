// The evaluations a report compares side by side, and how one was set up, in words.
import type { Json } from '../store/canonical-json.ts';

/** The evaluations compared side by side, in table order. */
export const EVALS: { slot: 'eval' | 'direct' | 'oracle'; name: string; short: string }[] = [
  { slot: 'eval', name: 'DCSP', short: 'prediction' },
  { slot: 'direct', name: 'no joint training (Algorithm 1 on val)', short: 'no joint training' },
  { slot: 'oracle', name: 'oracle (trained on ground-truth cues)', short: 'oracle' },
];

/** An evaluation's setting as the captions say it: which model, which scales, whether the CRF ran. */
export const evalSetting = (p: Record<string, Json>): string =>
  `${p.checkpoint === 'train' ? 'model before adapt' : 'model after adapt and retraining'}, scales ${Array.isArray(p.scales) ? p.scales.join(' / ') : '–'}, ${p.crf === false ? 'no CRF' : 'dense CRF'}`;
