// Which images the figure shows. Deterministic (same artifacts, same rows) and spread over the
// set rather than the first few ids, preferring images with two or more classes: those are the
// ones where class-specific cues (Fig. 1's bike and person) say something.

/**
 * Up to `count` ids from `ids` (kept in their original order): images with >= 2 labels first,
 * each group sampled at evenly spaced positions.
 */
export function chooseSamples(ids: readonly string[], labelsOf: (id: string) => readonly number[], count: number): string[] {
  if (count <= 0 || ids.length === 0) return [];
  const multi = ids.filter((id) => labelsOf(id).length >= 2);
  const single = ids.filter((id) => labelsOf(id).length < 2);
  const picked = new Set([...spread(multi, Math.min(count, multi.length)), ...spread(single, Math.max(0, count - multi.length))]);
  return ids.filter((id) => picked.has(id));
}

/** `n` items at evenly spaced positions (the middle of n equal parts). */
export function spread<T>(items: readonly T[], n: number): T[] {
  if (n <= 0) return [];
  if (n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / n)]);
}
