// Multi-label classification quality: average precision per class over a set of images, and its
// mean (the FCAN classifier's mAP on val).

/** AP of one class: mean precision at each positive, images ranked by score (ties: input order). */
export function averagePrecision(scores: readonly number[], positive: readonly boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let hits = 0;
  let sum = 0;
  order.forEach(([, i], rank) => {
    if (positive[i]) {
      hits++;
      sum += hits / (rank + 1);
    }
  });
  return hits ? sum / hits : NaN;
}

/** scores[image][class], labels[image] = class ids 1..classes (the foreground classes); classes with no positive are left out. */
export function meanAveragePrecision(
  scores: readonly (readonly number[])[],
  labels: readonly (readonly number[])[],
  classes: number,
): { map: number; ap: number[] } {
  const ap: number[] = [];
  for (let c = 1; c <= classes; c++) {
    ap.push(
      averagePrecision(
        scores.map((s) => s[c - 1]),
        labels.map((l) => l.includes(c)),
      ),
    );
  }
  const valid = ap.filter((v) => !Number.isNaN(v));
  return { map: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN, ap };
}
