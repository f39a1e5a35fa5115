// The built-in dataset sources, one file each. Adding one: a file in this folder exporting a
// defineSource({...}) object, its options in the dataset stage's params (stages/dataset.ts,
// `dataset.<name>`), and one line here. A project's own sources come through `plugins:` in
// pipeline.yaml instead (lib/plugins; their options are dataset.options).
import type { DatasetSourcePlugin } from './source-plugin.ts';
import { cocoSource } from './coco.ts';
import { folderSource } from './folder.ts';
import { toySource } from './toy.ts';
import { vocSource } from './voc.ts';

export const BUILT_IN_SOURCES: readonly DatasetSourcePlugin[] = [toySource, vocSource, folderSource, cocoSource];
