// VOC annotation XML (Annotations/<id>.xml): written for toy images, read for image-level labels.

import { XMLParser } from 'fast-xml-parser';
import { VOC_CLASSES } from '../types.ts';

export interface VocObject {
  name: string;
  /** 1-based inclusive pixel box, as VOC writes it */
  bbox: { xmin: number; ymin: number; xmax: number; ymax: number } | null;
  truncated: boolean;
  difficult: boolean;
}

export interface VocAnnotation {
  filename: string;
  width: number | null;
  height: number | null;
  segmented: boolean;
  objects: VocObject[];
}

export class AnnotationError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'AnnotationError';
  }
}

/** Class name to its id in `names` (default VOC's; case and surrounding space ignored), undefined for anything else, including 'background'. */
export function classIdOf(name: string, names: readonly string[] = VOC_CLASSES): number | undefined {
  const key = name.trim().toLowerCase();
  const id = names.findIndex((n) => n.toLowerCase() === key);
  return id <= 0 ? undefined : id;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  // only the object list is repeated at the top level; parts (head, hand) are nested inside objects
  isArray: (_name, jpath) => jpath === 'annotation.object',
});

function num(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function parseAnnotationXml(text: string, file = '<xml>'): VocAnnotation {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new AnnotationError(file, `malformed XML (${(err as Error).message})`);
  }
  const ann = doc.annotation as Record<string, unknown> | undefined;
  if (!ann || typeof ann !== 'object') throw new AnnotationError(file, 'no <annotation> element');
  const size = (ann.size ?? {}) as Record<string, unknown>;
  const rawObjects = (ann.object ?? []) as Record<string, unknown>[];
  const objects: VocObject[] = rawObjects.map((o, i) => {
    if (typeof o.name !== 'string' || o.name.trim() === '') {
      throw new AnnotationError(file, `object #${i + 1} has no <name>`);
    }
    const box = o.bndbox as Record<string, unknown> | undefined;
    const bbox = box
      ? {
          xmin: num(box.xmin) ?? 0,
          ymin: num(box.ymin) ?? 0,
          xmax: num(box.xmax) ?? 0,
          ymax: num(box.ymax) ?? 0,
        }
      : null;
    return { name: o.name.trim(), bbox, truncated: num(o.truncated) === 1, difficult: num(o.difficult) === 1 };
  });
  return {
    filename: typeof ann.filename === 'string' ? ann.filename : '',
    width: num(size.width),
    height: num(size.height),
    segmented: num(ann.segmented) === 1,
    objects,
  };
}

/** Sorted unique class ids of an annotation's objects, looked up in `names` (default VOC's); unknown names are an error. */
export function imageLabels(ann: VocAnnotation, file = '<xml>', names: readonly string[] = VOC_CLASSES): number[] {
  const ids = new Set<number>();
  for (const o of ann.objects) {
    const id = classIdOf(o.name, names);
    if (id === undefined) throw new AnnotationError(file, `unknown object class '${o.name}'`);
    ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function formatAnnotationXml(ann: VocAnnotation, folder = 'VOC2012'): string {
  const lines = [
    '<annotation>',
    `\t<folder>${esc(folder)}</folder>`,
    `\t<filename>${esc(ann.filename)}</filename>`,
    '\t<size>',
    `\t\t<width>${ann.width ?? ''}</width>`,
    `\t\t<height>${ann.height ?? ''}</height>`,
    '\t\t<depth>3</depth>',
    '\t</size>',
    `\t<segmented>${ann.segmented ? 1 : 0}</segmented>`,
  ];
  for (const o of ann.objects) {
    lines.push(
      '\t<object>',
      `\t\t<name>${esc(o.name)}</name>`,
      '\t\t<pose>Unspecified</pose>',
      `\t\t<truncated>${o.truncated ? 1 : 0}</truncated>`,
      `\t\t<difficult>${o.difficult ? 1 : 0}</difficult>`,
    );
    if (o.bbox) {
      lines.push(
        '\t\t<bndbox>',
        `\t\t\t<xmin>${o.bbox.xmin}</xmin>`,
        `\t\t\t<ymin>${o.bbox.ymin}</ymin>`,
        `\t\t\t<xmax>${o.bbox.xmax}</xmax>`,
        `\t\t\t<ymax>${o.bbox.ymax}</ymax>`,
        '\t\t</bndbox>',
      );
    }
    lines.push('\t</object>');
  }
  lines.push('</annotation>', '');
  return lines.join('\n');
}
