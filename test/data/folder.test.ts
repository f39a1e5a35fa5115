// The folder source: a folder of images with a tags CSV indexes into the class list it names, its
// split and its masks; every kind of bad input is one InputError naming the file and the row.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors.ts';
import { type FolderSpec, indexFolder, seededSplit } from '../../lib/data/folder-index.ts';
import { encodeGrayPng } from '../../lib/data/label-png.ts';
import { params } from '../../stages/dataset.ts';
import { FOLDER_CLASSES, type FolderDataset, writeFolderDataset } from '../fixtures/folder-dataset.ts';
import { removeDir, tempDir } from './helpers.ts';

let dir: string;
let made: FolderDataset;

beforeAll(async () => {
  dir = await tempDir('dcsp-folder-');
  made = await writeFolderDataset(dir, { train: 10, val: 4 });
});
afterAll(() => removeDir(dir));

/** A copy of the made dataset in a fresh folder, with `edit` applied to it. */
async function variant(edit: (d: string) => Promise<void>): Promise<FolderSpec> {
  const d = await tempDir('dcsp-folder-bad-');
  const copy = await writeFolderDataset(d, { train: 10, val: 4 });
  await edit(d);
  return { ...copy.options, dir: d };
}

async function failure(spec: FolderSpec): Promise<string> {
  try {
    await indexFolder(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  } finally {
    await removeDir(spec.dir);
  }
  throw new Error('indexFolder accepted bad input');
}

describe('folder source', () => {
  it("indexes the images under the tags CSV's class list, its split and the val masks", async () => {
    const ix = await indexFolder(made.options);
    expect(ix.classes.names).toEqual(['background', ...FOLDER_CLASSES]);
    expect(ix.classes.palette).toHaveLength(256);
    expect(ix.splits).toEqual({ train: made.ids.train, val: made.ids.val, test: [] });
    for (const id of made.ids.train) expect(ix.images[id].gt).toBeNull();
    for (const id of made.ids.val) expect(ix.images[id].gt).toBe(`masks/${id}.png`);
    for (const [id, labels] of Object.entries(made.labels)) {
      expect(ix.images[id].labels).toEqual(labels);
      expect(ix.images[id].image).toBe(`${id}.jpg`);
    }
    // every class is tagged somewhere
    expect(new Set(Object.values(made.labels).flat()).size).toBe(FOLDER_CLASSES.length);
  });

  it('takes the class list from classes.txt instead (the CSV then has no header), and splits by seed when no split is given', async () => {
    const d = await tempDir('dcsp-folder-txt-');
    try {
      const copy = await writeFolderDataset(d, { train: 10, val: 4 });
      const rows = (await readFile(join(d, 'tags.csv'), 'utf8')).trim().split('\n').slice(1);
      await writeFile(join(d, 'tags.csv'), `${rows.join('\n')}\n`);
      await writeFile(join(d, 'classes.txt'), `background\n${FOLDER_CLASSES.join('\n')}\n`);
      const ix = await indexFolder({ dir: d, tags: 'tags.csv', classes: 'classes.txt', split: { val: 0.25, test: 0, seed: 3 } });
      expect(ix.classes.names).toEqual(['background', ...FOLDER_CLASSES]);
      const all = [...copy.ids.train, ...copy.ids.val].sort();
      expect([...ix.splits.train, ...ix.splits.val].sort()).toEqual(all);
      expect(ix.splits.val).toHaveLength(Math.round(0.25 * all.length));
      expect(seededSplit(all, { val: 0.25, test: 0, seed: 3 })).toEqual(ix.splits);
      expect(seededSplit(all, { val: 0.25, test: 0, seed: 4 }).val).not.toEqual(ix.splits.val);
    } finally {
      await removeDir(d);
    }
  });

  it('refuses an unknown class, naming the file and row', async () => {
    const msg = await failure(
      await variant(async (d) => {
        const lines = (await readFile(join(d, 'tags.csv'), 'utf8')).split('\n');
        lines[3] = `${lines[3].split(',')[0]},finch,zebra`;
        await writeFile(join(d, 'tags.csv'), lines.join('\n'));
      }),
    );
    expect(msg).toMatch(/tags\.csv:4: unknown class 'zebra' \(classes: glider, tandem/);
  });

  it('refuses a duplicate image id, naming both rows', async () => {
    const msg = await failure(
      await variant(async (d) => {
        const lines = (await readFile(join(d, 'tags.csv'), 'utf8')).split('\n');
        lines[5] = lines[2];
        await writeFile(join(d, 'tags.csv'), lines.join('\n'));
      }),
    );
    expect(msg).toMatch(/tags\.csv:6: duplicate image id 'photo_0002' \(first at row 3\)/);
  });

  it('refuses an image that does not decode, naming it and its tags row', async () => {
    const msg = await failure(await variant((d) => writeFile(join(d, 'photo_0003.jpg'), Buffer.from('not a jpeg'))));
    expect(msg).toMatch(/photo_0003\.jpg: cannot decode image .*\(.*tags\.csv row 4\)$/);
  });

  it('refuses a mask whose size differs from its image', async () => {
    const val = made.ids.val[0];
    const msg = await failure(
      await variant(async (d) => {
        await writeFile(join(d, 'masks', `${val}.png`), encodeGrayPng({ width: 5, height: 4, data: new Uint8Array(20) }));
      }),
    );
    expect(msg).toMatch(new RegExp(`masks/${val}\\.png: mask is 5x4 but its image ${val}\\.jpg is \\d+x\\d+`));
  });

  it('refuses a mask value outside the class range (255 is ignore, not an error)', async () => {
    const [a, b] = made.ids.val;
    const msg = await failure(
      await variant(async (d) => {
        const src = made.options.dir;
        // a mask of another image's size would fail for its size; keep each image's own mask, then poke values
        await copyFile(join(src, 'masks', `${a}.png`), join(d, 'masks', `${a}.png`));
        const { readLabelPng } = await import('../../lib/data/label-png.ts');
        const m = await readLabelPng(join(d, 'masks', `${b}.png`), { maxClass: FOLDER_CLASSES.length });
        m.data[0] = 255;
        m.data[1] = FOLDER_CLASSES.length + 1;
        await writeFile(join(d, 'masks', `${b}.png`), encodeGrayPng(m));
      }),
    );
    expect(msg).toMatch(new RegExp(`masks/${b}\\.png: label value 8 at \\(x=1, y=0\\) is outside 0\\.\\.7 and 255 .*\\(classes 0\\.\\.7, 255 ignore\\)`));
  });

  it('dataset.folder: its keys are checked and the split defaults to a seeded fifth for val', () => {
    const typo = params.safeParse({ source: 'folder', folder: { dir: '/d', tag: 'x.csv' } }).error?.issues ?? [];
    expect(typo.map((i) => i.path.join('.')).sort()).toEqual(['folder', 'folder.tags']);
    expect(typo.map((i) => i.message).join(' ')).toMatch(/"tag"/);
    const ok: Record<string, unknown> = params.parse({ source: 'folder', folder: { dir: '/d', tags: 't.csv' } });
    expect(ok.folder).toEqual({ dir: '/d', tags: 't.csv', split: { val: 0.2, test: 0, seed: 0 } });
  });

  it("the folder's files are in the dataset's key: editing, adding or moving one changes its params", async () => {
    const d = await tempDir('dcsp-folder-state-');
    try {
      const copy = await writeFolderDataset(d, { train: 4, val: 2 });
      const state = (): unknown => (params.parse({ source: 'folder', folder: copy.options }) as { sourceState?: string }).sourceState;
      const first = state();
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      expect(state()).toBe(first);
      // the same bytes written again: a new modification time counts, as make would count it
      const tags = join(d, copy.options.tags);
      const text = await readFile(tags, 'utf8');
      await new Promise((r) => setTimeout(r, 20));
      await writeFile(tags, `${text}`);
      const rewritten = state();
      expect(rewritten).not.toBe(first);
      await copyFile(join(d, `${copy.ids.train[0]}.jpg`), join(d, 'extra.jpg'));
      expect(state()).not.toBe(rewritten);
      // the same folder spelled another way is the same dataset (its absolute path is what is stored)
      expect((params.parse({ source: 'folder', folder: { ...copy.options, dir: `${d}/.` } }) as { sourceState?: string }).sourceState).toBe(state());
    } finally {
      await removeDir(d);
    }
    // toy and voc read nothing outside the cache but pinned downloads: no state, their params unchanged
    expect(params.parse({ source: 'toy' })).not.toHaveProperty('sourceState');
  });
});
