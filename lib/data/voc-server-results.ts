// VOC evaluation-server output: one palette PNG per test image in the folder layout the server
// expects, and a gzipped tar of it ready to upload.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { ArtifactWriter } from '../store/artifact-writer.ts';
import type { Map8 } from '../types.ts';
import { encodePalettePng } from './label-png.ts';
import { vocPalette } from './palette.ts';

export const TEST_SERVER_DIR = 'results/VOC2012/Segmentation/comp6_test_cls';
export const TEST_SERVER_ARCHIVE = 'results.tar.gz';

export async function writeTestServerFiles(out: ArtifactWriter, ids: string[], prediction: (index: number) => Promise<Map8>): Promise<number> {
  const palette = vocPalette();
  const pack = tar.pack();
  const archive = pipeline(pack, createGzip({ level: 9 }), createWriteStream(await out.path(TEST_SERVER_ARCHIVE)));
  for (let i = 0; i < ids.length; i++) {
    const png = encodePalettePng(await prediction(i), palette);
    const name = `${TEST_SERVER_DIR}/${ids[i]}.png`;
    await out.text(name, png);
    // a fixed mtime keeps the archive's bytes, and so the artifact's content hash, reproducible
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, size: png.length, mtime: new Date(0), mode: 0o644 }, png, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await archive;
  return ids.length;
}
