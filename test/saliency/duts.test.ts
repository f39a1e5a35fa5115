// DUTS-TR preparation against a local server: download, extract only images and masks, check that
// every image has its mask and the count is right, and leave nothing behind when the check fails.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUTS_TR, prepareDuts } from '../../lib/saliency/duts.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const archives = new Map<string, Uint8Array>();
let requests = 0;
let server: Server;
let base = '';
let dir = '';

function dutsZip(images: string[], masks: string[], extra: Record<string, Uint8Array> = {}): Uint8Array {
  const entries: Record<string, Uint8Array> = { 'DUTS-TR/readme.txt': bytes('not extracted'), ...extra };
  for (const n of images) entries[`${DUTS_TR.images}/${n}.jpg`] = bytes(`jpeg of ${n}`);
  for (const n of masks) entries[`${DUTS_TR.masks}/${n}.png`] = bytes(`png of ${n}`);
  return zipSync(entries);
}

beforeAll(async () => {
  archives.set('/good.zip', dutsZip(['sun_a', 'sun_b', 'ILSVRC_c'], ['sun_a', 'sun_b', 'ILSVRC_c']));
  archives.set('/missing-mask.zip', dutsZip(['sun_a', 'sun_b'], ['sun_a']));
  archives.set('/escape.zip', dutsZip(['sun_a'], ['sun_a'], { '../evil.jpg': bytes('x') }));
  server = createServer((req, res) => {
    requests++;
    const body = archives.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(Buffer.from(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'dcsp-duts-'));
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('prepareDuts', () => {
  it('downloads, extracts the image and mask folders, checks the pairs, and reuses the result', async () => {
    const data = join(dir, 'good');
    const f = await prepareDuts(data, { url: `${base}/good.zip`, pairs: 3 });
    expect((await readdir(f.images)).sort()).toEqual(['ILSVRC_c.jpg', 'sun_a.jpg', 'sun_b.jpg']);
    expect(readFileSync(join(f.masks, 'sun_b.png'), 'utf8')).toBe('png of sun_b');
    expect(existsSync(join(data, 'duts', 'DUTS-TR', 'readme.txt'))).toBe(false);
    const before = requests;
    expect(await prepareDuts(data, { url: `${base}/good.zip`, pairs: 3 })).toEqual(f);
    expect(requests).toBe(before);
  });

  it('names what is wrong and leaves no folder when the archive does not check out', async () => {
    const miss = join(dir, 'miss');
    await expect(prepareDuts(miss, { url: `${base}/missing-mask.zip`, pairs: 2 })).rejects.toThrow(/images without a mask in DUTS-TR\/DUTS-TR-Mask: sun_b/);
    expect(existsSync(join(miss, 'duts'))).toBe(false);
    const count = join(dir, 'count');
    await expect(prepareDuts(count, { url: `${base}/good.zip` })).rejects.toThrow(/3 image\/mask pairs, expected 10553/);
    const esc = join(dir, 'esc');
    await expect(prepareDuts(esc, { url: `${base}/escape.zip`, pairs: 1 })).rejects.toThrow(/points outside the extraction folder/);
    expect(existsSync(join(esc, 'evil.jpg'))).toBe(false);
    expect((await readdir(esc)).filter((e) => e.startsWith('duts'))).toEqual([]);
  });
});
