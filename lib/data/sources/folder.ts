// `folder`: anyone's data. A folder of images, a CSV of their tags (the image-level labels that are
// the method's whole supervision), optional label PNGs for the images that have masks (used only to
// evaluate and by the oracle), and a split. The class list is the CSV's header or a classes.txt, so
// the networks, metrics and report are built for it (docs/datasets.md). The images stay where they
// are: the stored index names the folder by its absolute path.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.ts';
import { sha256 } from '../../store/hash.ts';
import { defineSource } from './source-plugin.ts';

const fraction = z.number().min(0).max(1);

/**
 * dataset.folder; required when dataset.source is folder. Optional in the schema because params are
 * checked layer by layer (profile, then each --set): `--set dataset.source=folder` may come first.
 */
export const folderOptions = z
  .strictObject({
    /** the images, <id>.jpg, .jpeg or .png; the paths below are relative to it */
    dir: z.string().min(1),
    /** CSV: an image id, then the names of the classes it shows; its header row lists the classes unless `classes` is set */
    tags: z.string().min(1),
    /** the object classes, one name a line (a first line `background` is skipped); the tags CSV then has no header */
    classes: z.string().min(1).optional(),
    /** a folder of label PNGs <id>.png (class ids, 255 ignore) for the images that have masks */
    masks: z.string().min(1).optional(),
    /** a CSV `id,split` (train, val or test), or fractions of the tagged images drawn for val and test by a seeded shuffle */
    split: z
      .union([z.string().min(1), z.strictObject({ val: fraction, test: fraction.default(0), seed: z.number().int().default(0) })])
      .default({ val: 0.2, test: 0, seed: 0 }),
  })
  .optional();

/** Every file under `path` (or `path` itself), as `path size mtime` lines: what editing, adding or removing changes. */
function listing(path: string, out: string[]): void {
  if (!existsSync(path)) {
    out.push(`${path} missing`);
    return;
  }
  const st = statSync(path);
  if (!st.isDirectory()) {
    out.push(`${path} ${st.size} ${st.mtimeMs}`);
    return;
  }
  for (const name of readdirSync(path).sort()) listing(join(path, name), out);
}

/**
 * The folder as the dataset's key sees it: its absolute path (the stored index names it) and every
 * file the source reads, by size and modification time (reading every image's bytes at each parse
 * would cost a full pass over the folder; the dataset stage hashes their content once it runs).
 */
function folderState(options: z.output<typeof folderOptions>): string | undefined {
  if (options === undefined) return undefined;
  const dir = resolve(options.dir);
  const lines: string[] = [];
  listing(dir, lines);
  for (const f of [options.tags, options.classes, options.masks, typeof options.split === 'string' ? options.split : undefined]) {
    // files inside dir are already listed; those it names outside (../tags.csv) are added
    if (f !== undefined && !resolve(dir, f).startsWith(`${dir}/`)) listing(resolve(dir, f), lines);
  }
  return sha256('folder-state/1', dir, ...lines);
}

export const folderSource = defineSource({
  name: 'folder',
  summary: 'your images, a tags CSV, optional label PNGs for evaluation, a split (dataset.folder: dir, tags, ...)',
  options: folderOptions,
  async build(options, ctx) {
    if (options === undefined) throw new InputError('dataset.source is folder but dataset.folder is not set (dir, tags, ...; docs/datasets.md)');
    const { indexFolder } = await import('../folder-index.ts');
    const { root, classes, splits, images } = await indexFolder(options, ctx.progress);
    return { root, storedRoot: root, classes, images: { splits, images } };
  },
  state: folderState,
});
