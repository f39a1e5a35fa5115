// The image files a command was given, checked before it starts any work.
import { existsSync } from 'node:fs';
import { InputError } from '../errors.ts';

/** Every image decodes in full (a truncated JPEG is caught here, not halfway through a command). */
export async function checkImages(command: string, files: string[]): Promise<void> {
  const missing = files.find((f) => !existsSync(f));
  if (missing) throw new InputError(`pipeline ${command}: ${missing} does not exist`);
  const { decodeRgb } = await import('../data/image-io.ts');
  for (const f of files) {
    try {
      await decodeRgb(f, f);
    } catch (err) {
      throw new InputError(`pipeline ${command}: ${(err as Error).message}`);
    }
  }
}
