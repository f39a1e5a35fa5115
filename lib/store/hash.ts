import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    // a separator byte keeps ('ab','c') and ('a','bc') apart
    h.update('\0');
  }
  return h.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
