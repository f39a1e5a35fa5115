// A COCO-format instances file made by the tests: a few images of generated sizes with polygon
// instances (several parts, fractional and out-of-image vertices, coordinates on the rasteriser's
// rounding ties), crowd regions as uncompressed RLE, instances as compressed RLE counts, and
// overlaps everywhere; one image has no annotation (the WSSS filter drops it). Seeded: the same
// seed gives the same file.
import { Rng } from '../../lib/data/prng.ts';

/** Categories out of id order and with gaps, as COCO's 80 ids in 1..90 are. */
export const FIXTURE_CATEGORIES = [
  { id: 44, name: 'bottle', supercategory: 'kitchen' },
  { id: 1, name: 'person', supercategory: 'person' },
  { id: 90, name: 'toothbrush', supercategory: 'indoor' },
  { id: 7, name: 'train', supercategory: 'vehicle' },
  { id: 18, name: 'dog', supercategory: 'animal' },
  { id: 3, name: 'car', supercategory: 'vehicle' },
];

const SIZES: readonly [number, number][] = [
  [37, 29],
  [64, 48],
  [50, 50],
  [23, 41],
  [30, 20],
  [71, 33],
];
/** the image (index into SIZES) left without annotations */
export const EMPTY_IMAGE = 4;

/** COCO's compressed counts string (the format rle.ts decodes), written independently for the fixture. */
export function countsToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i] - (i > 2 ? counts[i - 2] : 0);
    for (;;) {
      let c = x & 0x1f;
      x >>= 5;
      const more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
      if (!more) break;
    }
  }
  return s;
}

/** Column-major run lengths of a row-major binary mask, starting with a run of 0s. */
export function maskToCounts(mask: Uint8Array, width: number, height: number): number[] {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x];
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/** A blob: pixels inside a wobbly ellipse. */
function blob(rng: Rng, width: number, height: number): Uint8Array {
  const cx = rng.range(0, width);
  const cy = rng.range(0, height);
  const rx = rng.range(3, width / 2);
  const ry = rng.range(3, height / 2);
  const wobble = rng.range(0, 0.4);
  const phase = rng.range(0, 7);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const a = Math.atan2(y - cy, x - cx);
      const r = 1 + wobble * Math.sin(3 * a + phase);
      if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < r * r) mask[y * width + x] = 1;
    }
  return mask;
}

/** A star-shaped polygon; some vertices land on 0.1 steps (ties of the 5x rounding), some outside the image. */
function polygon(rng: Rng, width: number, height: number, vertices: readonly [number, number]): number[] {
  const cx = rng.range(-2, width + 2);
  const cy = rng.range(-2, height + 2);
  const n = rng.int(vertices[0], vertices[1]);
  const radius = rng.range(2, Math.min(width, height) * 0.6);
  const snap = rng.chance(0.5);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * (i + rng.range(0, 0.8))) / n;
    const r = radius * rng.range(0.35, 1);
    let x = cx + r * Math.cos(a);
    let y = cy + r * Math.sin(a);
    if (snap) {
      x = Math.round(x * 10) / 10;
      y = Math.round(y * 10) / 10;
    }
    out.push(x, y);
  }
  return out;
}

function shoelace(xy: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < xy.length; i += 2) {
    const j = (i + 2) % xy.length;
    s += xy[i] * xy[j + 1] - xy[j] * xy[i + 1];
  }
  return Math.abs(s) / 2;
}

export interface FixtureAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  iscrowd: 0 | 1;
  area: number;
  bbox: number[];
  segmentation: number[][] | { size: [number, number]; counts: number[] | string };
}

export interface FixtureInstances {
  info: { description: string };
  images: { id: number; width: number; height: number; file_name: string }[];
  categories: typeof FIXTURE_CATEGORIES;
  annotations: FixtureAnnotation[];
}

export interface FixtureOptions {
  /** width, height of each image */
  sizes: readonly (readonly [number, number])[];
  /** indices of the images left without annotations */
  empty: readonly number[];
  /** polygon instances per image, at least and at most */
  polygons: readonly [number, number];
  /** vertices per polygon, at least and at most */
  vertices: readonly [number, number];
}

const DEFAULTS: FixtureOptions = { sizes: SIZES, empty: [EMPTY_IMAGE], polygons: [3, 5], vertices: [3, 11] };

/** The test fixture; a benchmark passes COCO-sized images and counts instead (bench/coco-labels.ts). */
export function cocoFixture(seed: number, options: Partial<FixtureOptions> = {}): FixtureInstances {
  const opts = { ...DEFAULTS, ...options };
  const rng = new Rng(seed);
  const images = opts.sizes.map(([width, height], i) => ({
    id: 1000 + 7 * i,
    width,
    height,
    file_name: `COCO_train2014_${String(1000 + 7 * i).padStart(12, '0')}.jpg`,
  }));
  const annotations: FixtureAnnotation[] = [];
  let nextId = 1;
  const add = (a: Omit<FixtureAnnotation, 'id' | 'bbox'>) => annotations.push({ id: nextId++, bbox: [0, 0, 1, 1], ...a });
  images.forEach((img, i) => {
    if (opts.empty.includes(i)) return;
    const { width: w, height: h } = img;
    const category = () => rng.pick(FIXTURE_CATEGORIES).id;
    const poly = () => polygon(rng, w, h, opts.vertices);
    for (let n = rng.int(opts.polygons[0], opts.polygons[1]); n > 0; n--) {
      const parts = rng.chance(0.3) ? [poly(), poly()] : [poly()];
      add({ image_id: img.id, category_id: category(), iscrowd: 0, area: parts.reduce((s, p) => s + shoelace(p), 0), segmentation: parts });
    }
    const crowd = blob(rng, w, h);
    add({
      image_id: img.id,
      category_id: category(),
      iscrowd: 1,
      area: crowd.reduce((s, v) => s + v, 0),
      segmentation: { size: [h, w], counts: maskToCounts(crowd, w, h) },
    });
    const packed = blob(rng, w, h);
    add({
      image_id: img.id,
      category_id: category(),
      iscrowd: rng.chance(0.5) ? 1 : 0,
      area: packed.reduce((s, v) => s + v, 0),
      segmentation: { size: [h, w], counts: countsToString(maskToCounts(packed, w, h)) },
    });
    // the same area as the first instance of the image: the file's order decides between them
    const first = annotations.find((a) => a.image_id === img.id)!;
    add({ image_id: img.id, category_id: category(), iscrowd: 0, area: first.area, segmentation: [poly()] });
  });
  // annotations of different images interleaved, as in COCO's files
  rng.shuffle(annotations);
  return { info: { description: 'dcsp-pipeline test fixture' }, images, categories: FIXTURE_CATEGORIES, annotations };
}
