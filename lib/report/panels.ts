// Fig. 1 of the paper as HTML rows, one per sampled image: the image, the attention map of each
// class present (A^c), the saliency passes S1, S2, S3, the cues of Algorithm 1 (M), the cues after
// adapt (M') and, where the dataset has it, the ground truth. Val rows: image, ground truth and the
// final prediction. Label maps use the dataset's palette; every row lists the classes it shows.
import type { Dataset } from '../layouts/dataset.ts';
import { colorizeLabels, type Rgb } from '../data/palette.ts';
import { findAttention } from '../layouts/attention.ts';
import { CUES } from '../layouts/cues.ts';
import { PREDICTIONS } from '../layouts/predictions.ts';
import { SALIENCY } from '../layouts/saliency.ts';
import type { Artifact } from '../store/artifact.ts';
import type { NumericArray } from '../store/zarr.ts';
import type { Map8 } from '../types.ts';
import { heatmap } from './colour.ts';
import { esc, swatch } from './html.ts';
import { pngDataUri, type PictureKind } from './images.ts';

export interface PanelSources {
  dataset: Dataset;
  attention?: Artifact;
  /** saliency passes in order (lib/layouts/saliency.ts) */
  saliency: { name: string; artifact: Artifact }[];
  cues?: Artifact;
  adapt?: Artifact;
  /** evaluations whose predictions are shown next to the ground truth, first the main one */
  evals: { name: string; artifact: Artifact }[];
}

export interface PanelOptions {
  maxSide?: number;
}

interface Tile {
  caption: string;
  uri: string;
  kind: PictureKind;
  title: string;
}

export interface PanelRows {
  html: string;
  images: number;
}

const asU8 = (a: NumericArray): Uint8Array => (a instanceof Uint8Array ? a : Uint8Array.from(a));

class Row {
  readonly tiles: Tile[] = [];
  readonly labelsShown = new Set<number>();

  constructor(
    private readonly ds: Dataset,
    private readonly opts: PanelOptions,
  ) {}

  private get palette(): Rgb[] {
    return this.ds.index.palette;
  }

  async photo(caption: string, title: string, id: string): Promise<void> {
    const img = await this.ds.readImage(id);
    this.tiles.push({ caption, title, kind: 'photo', uri: await pngDataUri(img, 'photo', this.opts) });
  }

  async heat(caption: string, title: string, data: NumericArray, width: number, height: number): Promise<void> {
    const d = data instanceof Float32Array ? data : asU8(data);
    this.tiles.push({ caption, title, kind: 'heat', uri: await pngDataUri(heatmap(d, width, height), 'heat', this.opts) });
  }

  async labels(caption: string, title: string, map: Map8): Promise<void> {
    for (const v of new Set(map.data)) this.labelsShown.add(v);
    this.tiles.push({ caption, title, kind: 'labels', uri: await pngDataUri(colorizeLabels(map, this.palette), 'labels', this.opts) });
  }

  missing(caption: string, why: string): void {
    this.tiles.push({ caption, title: why, kind: 'photo', uri: '' });
  }

  html(id: string, note: string): string {
    const names = this.ds.index.classNames;
    const labels = this.ds.labels(id);
    const head = `<div class="fig-head"><b>${esc(id)}</b><span class="labels">${labels.map((c) => swatch(this.palette[c], names[c] ?? String(c))).join('')}</span>${note ? `<span class="note">${note}</span>` : ''}</div>`;
    const tiles = this.tiles
      .map((t) =>
        t.uri
          ? `<figure class="tile ${t.kind}"><img src="${t.uri}" alt="${esc(t.title)}" title="${esc(t.title)}"><figcaption>${t.caption}</figcaption></figure>`
          : `<figure class="tile empty" title="${esc(t.title)}"><div class="blank">${esc(t.title)}</div><figcaption>${t.caption}</figcaption></figure>`,
      )
      .join('');
    const shown = [...this.labelsShown].sort((a, b) => a - b);
    const legend = shown.length
      ? `<div class="legend">${shown.map((v) => swatch(this.palette[v] ?? [0, 0, 0], v === 255 ? 'void / ignored' : (names[v] ?? String(v)))).join('')}</div>`
      : '';
    return `<div class="fig-row">${head}<div class="tiles">${tiles}</div>${legend}</div>`;
  }

  get imageCount(): number {
    return this.tiles.filter((t) => t.uri).length;
  }
}

/** Rows for train images: I, A^c, S1..S3, M, M', GT. */
export async function trainRows(src: PanelSources, ids: string[], opts: PanelOptions = {}): Promise<PanelRows> {
  const names = src.dataset.index.classNames;
  const rows: string[] = [];
  let images = 0;
  for (const id of ids) {
    const row = new Row(src.dataset, opts);
    await row.photo('I', `${id}: image`, id);
    const att = await findAttention(src.attention, id);
    if (att) {
      const { width: w, height: h } = att;
      const k = att.classes.length;
      const n = h * w;
      for (let j = 0; j < k; j++) {
        const c = att.classes[j];
        const name = names[c] ?? String(c);
        const slice = att.maps.subarray(j * n, (j + 1) * n);
        await row.heat(`A<sup>${esc(name)}</sup>`, `${id}: attention of ${name}`, slice, w, h);
      }
      if (k === 0) row.missing('A', 'no classes');
    } else row.missing('A', 'no attention map');
    for (const s of src.saliency) {
      const m = await SALIENCY.findMap(s.artifact, id);
      if (m) {
        await row.heat(esc(s.name), `${id}: saliency ${s.name}`, m.data, m.width, m.height);
      } else row.missing(esc(s.name), `no ${s.name}`);
    }
    const cue = await CUES.findMap(src.cues, id);
    if (cue) await row.labels('M (cues)', `${id}: cues of Algorithm 1`, cue);
    else if (src.cues) row.missing('M (cues)', 'no cues');
    const adapted = await CUES.findMap(src.adapt, id);
    if (adapted) await row.labels('M′ (adapted)', `${id}: cues after adapt`, adapted);
    else if (src.adapt) row.missing('M′ (adapted)', 'no adapted cues');
    const gt = await src.dataset.readGt(id);
    if (gt) await row.labels('ground truth', `${id}: ground truth`, gt);
    rows.push(row.html(id, ''));
    images += row.imageCount;
  }
  return { html: rows.join('\n'), images };
}

/** Pixel accuracy over the non-void pixels of the ground truth. */
export function pixelAccuracy(pred: Map8, gt: Map8, voidLabel = 255): number | null {
  if (pred.width !== gt.width || pred.height !== gt.height) return null;
  let hit = 0;
  let n = 0;
  for (let i = 0; i < gt.data.length; i++) {
    if (gt.data[i] === voidLabel) continue;
    n++;
    if (pred.data[i] === gt.data[i]) hit++;
  }
  return n ? hit / n : null;
}

/** Rows for evaluated images: I, ground truth, then each evaluation's prediction (with its pixel accuracy). */
export async function evalRows(src: PanelSources, ids: string[], opts: PanelOptions = {}): Promise<PanelRows> {
  const rows: string[] = [];
  let images = 0;
  for (const id of ids) {
    const row = new Row(src.dataset, opts);
    await row.photo('I', `${id}: image`, id);
    const gt = await src.dataset.readGt(id);
    if (gt) await row.labels('ground truth', `${id}: ground truth`, gt);
    const notes: string[] = [];
    for (const e of src.evals) {
      const pred = await PREDICTIONS.findMap(e.artifact, id);
      if (!pred) {
        row.missing(esc(e.name), `no ${e.name}`);
        continue;
      }
      await row.labels(esc(e.name), `${id}: ${e.name}`, pred);
      const acc = gt ? pixelAccuracy(pred, gt) : null;
      if (acc !== null) notes.push(`${e.name} ${(acc * 100).toFixed(1)}%`);
    }
    const note = notes.length ? `pixel accuracy: ${notes.join(', ')}` : '';
    rows.push(row.html(id, esc(note)));
    images += row.imageCount;
  }
  return { html: rows.join('\n'), images };
}
