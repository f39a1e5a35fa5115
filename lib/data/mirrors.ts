// Download mirrors: a JSON file named by $DCSP_MIRRORS that maps a pinned URL to where the same
// file can be fetched instead, with the checksum the mirror's copy must have. The pins in the code
// never change; a mirror entry replaces URL and checksum together, so a download is always checked
// against a hash someone wrote down (a local copy of the dataset, a lab server, or a test's
// 127.0.0.1 server serving fixtures it made).
//
//   { "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar":
//       { "url": "http://10.0.0.5/VOCtrainval_11-May-2012.tar", "md5": "6cd6e144f989b92b3379bac3b3de84fd" } }

import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const MIRRORS_ENV = 'DCSP_MIRRORS';

const Entry = z.strictObject({
  url: z.string().url(),
  md5: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/)
    .optional(),
});
const File = z.record(z.string(), Entry);

export type Mirror = z.infer<typeof Entry>;

/** The mirror of `url` in $DCSP_MIRRORS, if that file names one; a bad file is an error naming it. */
export function mirrorOf(url: string, env: NodeJS.ProcessEnv = process.env): Mirror | undefined {
  const file = env[MIRRORS_ENV];
  if (!file) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${MIRRORS_ENV}=${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  const parsed = File.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${MIRRORS_ENV}=${file}: ${i.path.join('.') || '(file)'}: ${i.message}`);
  }
  return parsed.data[url];
}

/** A pinned source with its mirror applied: the mirror's URL and checksum replace both. */
export function withMirror<T extends { url: string; md5?: string }>(src: T, env: NodeJS.ProcessEnv = process.env): T {
  const m = mirrorOf(src.url, env);
  if (!m) return src;
  // a pinned file stays checked: its mirror must say which bytes it serves
  if (src.md5 && !m.md5) throw new Error(`${MIRRORS_ENV}: the mirror of ${src.url} needs an md5 (the original is pinned to ${src.md5})`);
  return { ...src, url: m.url, md5: m.md5 } as T;
}
