// Public surface of the datasets library: sources (toy generator, VOC + SBD), the common index
// reader, and image / label-PNG IO.

export type { DatasetImage, DatasetIndex, DatasetSource, SplitName } from './dataset-index.ts';
export { readVocLayout, VOC_EXPECTED_COUNTS, type ReadLayoutOptions } from './voc-layout.ts';
export { summarizeDataset, splitStats, type SplitStats } from './summary.ts';

export {
  generateToyDataset,
  renderToySample,
  resolveToyOptions,
  toyImageId,
  DEFAULT_TOY_OPTIONS,
  SPLITS,
  type ToyOptions,
  type ToyOptionsInput,
} from './toy-generate.ts';
export type { ToyImage, ToyInstance } from './toy-render.ts';
export { TOY_CLASSES } from './toy-classes.ts';

export { prepareVoc, VOC_SOURCES, type VocOptions, type ArchiveSource, type ArchiveKind } from './prepare-voc.ts';
export { downloadFile, md5File, verifyMd5, ChecksumError, DownloadError, type DownloadOptions } from './download.ts';
export { extractArchive, extractInto, UnsafeArchiveError, type ExtractOptions } from './extract.ts';
export { SplitCountError, readIdList, formatIds } from './id-lists.ts';

export { readRgb, decodeRgb, readImageSize, writeJpeg, writePng, encodeJpeg, encodePng, resizeRgb, ImageFileError } from './image-io.ts';
export {
  readLabelPng,
  decodeIndexedPng,
  checkLabels,
  writePalettePng,
  writeGrayPng,
  encodePalettePng,
  encodeGrayPng,
  LabelPngError,
} from './label-png.ts';
export { vocPalette, colorizeLabels, type Rgb } from './palette.ts';
export { parseAnnotationXml, imageLabels, classIdOf, AnnotationError } from './voc-xml.ts';
