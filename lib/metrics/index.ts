// Segmentation metrics.
export { ConfusionMatrix, formatScoresTable, type SegmentationScores } from './confusion.ts';
