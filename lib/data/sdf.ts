// Signed distance primitives (negative inside) for rasterising toy shapes. A distance, rather than an
// inside/outside test, gives anti-aliased edges from one evaluation per pixel: coverage is simply
// clamp(0.5 - distance_in_pixels, 0, 1). Unions and differences via min/max are not exact distances
// away from the surface, which only matters for the ~1 px anti-aliasing ramp.

export function circle(x: number, y: number, cx: number, cy: number, r: number): number {
  return Math.hypot(x - cx, y - cy) - r;
}

/** axis-aligned box centred at (cx, cy) with half sizes hw, hh and corner radius r */
export function box(x: number, y: number, cx: number, cy: number, hw: number, hh: number, r = 0): number {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - r;
}

/** thick segment from (ax, ay) to (bx, by) with radius r */
export function capsule(x: number, y: number, ax: number, ay: number, bx: number, by: number, r: number): number {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - r;
}

/** axis-aligned ellipse; approximate distance (exact on the axes), fine for anti-aliasing */
export function ellipse(x: number, y: number, cx: number, cy: number, a: number, b: number): number {
  const k = Math.hypot((x - cx) / a, (y - cy) / b);
  return (k - 1) * Math.min(a, b);
}

/**
 * Closed polygon given as flat [x0, y0, x1, y1, ...]. Distance to the nearest edge, negative when
 * the point is inside by the even-odd rule (so self-touching outlines still behave).
 */
export function polygon(x: number, y: number, pts: ArrayLike<number>): number {
  const n = pts.length >> 1;
  let best = Infinity;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const ax = pts[j * 2];
    const ay = pts[j * 2 + 1];
    const bx = pts[i * 2];
    const by = pts[i * 2 + 1];
    const ex = bx - ax;
    const ey = by - ay;
    const wx = x - ax;
    const wy = y - ay;
    const len2 = ex * ex + ey * ey;
    const t = len2 > 0 ? Math.max(0, Math.min(1, (wx * ex + wy * ey) / len2)) : 0;
    const dx = wx - ex * t;
    const dy = wy - ey * t;
    const d2 = dx * dx + dy * dy;
    if (d2 < best) best = d2;
    // crossing test for a horizontal ray to the right of the point
    if (ay > y !== by > y && x < ax + ((y - ay) * ex) / ey) inside = !inside;
  }
  const d = Math.sqrt(best);
  return inside ? -d : d;
}

export const union = Math.min;

export function subtract(a: number, b: number): number {
  return Math.max(a, -b);
}

export function intersect(a: number, b: number): number {
  return Math.max(a, b);
}
