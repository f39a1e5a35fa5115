// The queue as a trust boundary, through the CLI on one loopback redis-server that wants a password
// (requirepass) on its plain port and TLS with client certificates (made here with openssl) on its
// TLS port, where an ACL user has only the commands BullMQ needs. Whoever can write to the queue
// may ask a worker to compute; nothing more: jobs that name code, leave the cache or lie about their
// key are refused with one line, import nothing and write nothing. Passwords never show.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, cpSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Queue } from 'bullmq';
import { execa } from 'execa';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemKeysOf } from '../../lib/exec/item-keys.ts';
import { codeHash } from '../../lib/contract/code-hash.ts';
import { stageKey, type KeyParts } from '../../lib/contract/key.ts';
import { Artifact } from '../../lib/store/artifact.ts';
import type { Manifest } from '../../lib/store/manifest.ts';
import { makeProject, type Project } from '../engine/project.ts';
import { BIN, ready, ROOT, runEvents, startRedis, startWorker, type Redis, type WorkerProc } from './cluster.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-trust-'));
const PASSWORD = `req-${randomBytes(8).toString('hex')}`;
const ACL_PASSWORD = `acl-${randomBytes(8).toString('hex')}`;
// the ACL of docs/scaling-out.md: the queue's keys only, the commands BullMQ uses and nothing dangerous
const ACL = [
  '--user',
  'dcsp',
  'on',
  `>${ACL_PASSWORD}`,
  'resetkeys',
  '~tq:*',
  'resetchannels',
  '-@all',
  '+@read',
  '+@write',
  '+eval',
  '+evalsha',
  '+@connection',
  '-@dangerous',
  '+info',
];

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  mkdirSync(dir, { recursive: true });
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=dcsp test CA');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-new', ...ec, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=dcsp test ${who}`);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${who}.crt`),
      '-days',
      '2',
      ...(who === 'server' ? ['-extfile', f('server.ext')] : []),
    );
  }
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

/** Every file under `dir` with its size and mtime (what "nothing was written" compares). */
function snapshot(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (skip.includes(p)) continue;
      const st = statSync(p, { throwIfNoEntry: false });
      out[relative(dir, p)] = e.isSymbolicLink() ? 'link' : `${st?.size}:${st?.mtimeMs}`;
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

async function outcome(queue: Queue, id: string, data: unknown): Promise<{ state: string; reason: string; value: unknown }> {
  await queue.add(queue.name === 'stages' ? 'stage' : 'items', data, { jobId: id, attempts: 1 });
  for (let i = 0; i < 600; i++) {
    const state = await queue.getJobState(id);
    if (state === 'completed' || state === 'failed') {
      const job = (await queue.getJob(id))!;
      return { state, reason: job.failedReason ?? '', value: job.returnvalue };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('the queue as a trust boundary', () => {
  let redis: Redis;
  let certs: ReturnType<typeof makeCertificates>;
  const workers: WorkerProc[] = [];
  const clients: Queue[] = [];
  const connections: IORedis[] = [];

  beforeAll(async () => {
    certs = makeCertificates(join(base, 'tls'));
    redis = await startRedis({ password: PASSWORD, tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca }, args: ACL });
  }, 60_000);

  // a loaded machine may take its time to stop the workers: redis-server is stopped whatever happens
  afterAll(async () => {
    try {
      await Promise.all(clients.map((q) => q.close().catch(() => undefined)));
      for (const c of connections) c.disconnect();
      await Promise.all(workers.map((w) => w.stop()));
    } finally {
      await redis?.stop();
    }
  }, 60_000);

  it('hostile jobs are refused with one line each: nothing imported, nothing written', async () => {
    const p: Project = makeProject('bullmq-hostile');
    expect((await p.cli(['run', '--until', 'sum'])).code).toBe(0);
    const w = startWorker(redis, p.cache, { DCSP_TEST_CALLS: p.callsFile }, ['--queue', 'hq', '--pipeline', p.pipeline]);
    workers.push(w);
    await ready(w);
    const connection = (): IORedis => {
      const c = new IORedis({ port: redis.port, password: PASSWORD, maxRetriesPerRequest: null });
      connections.push(c);
      return c;
    };
    const stages = new Queue('stages', { connection: connection(), prefix: 'hq' });
    const items = new Queue('items', { connection: connection(), prefix: 'hq' });
    clients.push(stages, items);

    // an honest job for double, rebuilt from its committed manifest, and an honest chunk of it
    const ref = (stage: string): string => readFileSync(join(p.cache, 'refs', 'base', stage), 'utf8').trim();
    const m = JSON.parse(readFileSync(join(p.cache, 'double', ref('double'), 'manifest.json'), 'utf8')) as Manifest;
    const parts: KeyParts = { stage: 'double', version: m.version, codeHash: m.codeHash, params: m.params, inputs: { values: m.inputs.values.contentHash } };
    expect(stageKey(parts)).toBe(m.key);
    const job = {
      stage: 'double',
      key: m.key,
      version: m.version,
      params: m.params as Record<string, unknown>,
      parts,
      inputs: m.inputs,
      force: false,
      isolate: false,
      requestedBy: 'test',
    };
    const source = `source/${ref('source')}`;
    const [k3, k4] = await itemKeysOf(parts, null, ['item-0003', 'item-0004'], { values: await Artifact.open(join(p.cache, source)) });
    const work = `double/${m.key}.partial/work/items`;
    // a stage holder's work folder, as a running double would have it
    mkdirSync(join(p.cache, work), { recursive: true });
    const chunk = {
      stage: 'double',
      key: m.key,
      parts,
      params: m.params,
      shared: null,
      inputs: { values: source },
      ids: ['item-0003'],
      files: [`${work}/${k3}.item`],
    };

    // code from outside the checkout, which would leave a marker if it were ever imported
    const evilDir = join(base, 'evil');
    const marker = join(base, 'imported-marker');
    mkdirSync(evilDir);
    writeFileSync(join(evilDir, 'package.json'), '{"type":"module"}\n');
    const evil = join(evilDir, 'evil.ts');
    writeFileSync(
      evil,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'imported');\nexport default { name: 'double', version: 1, params: { safeParse: (v) => ({ success: true, data: v }) }, inputs: ['values'], run: async () => ({}) };\n`,
    );
    const evilParts = { ...parts, codeHash: codeHash(evil, evilDir) };
    // an artifact outside the cache, reachable through a symlink inside it
    cpSync(join(p.cache, source), join(base, 'outside-artifact'), { recursive: true });
    symlinkSync(join(base, 'outside-artifact'), join(p.cache, 'link-out'));
    // a stage folder that is a symlink out of the cache: a job for that stage must not write through it
    mkdirSync(join(base, 'outside-stage'));
    symlinkSync(join(base, 'outside-stage'), join(p.cache, 'todo'));
    const sum = JSON.parse(readFileSync(join(p.cache, 'sum', ref('sum'), 'manifest.json'), 'utf8')) as Manifest;
    const todoParts: KeyParts = {
      stage: 'todo',
      version: 1,
      codeHash: codeHash(join(p.dir, 'stages/todo.ts'), p.dir),
      params: {},
      inputs: { sum: sum.contentHash },
    };
    const todo = {
      ...job,
      stage: 'todo',
      key: stageKey(todoParts),
      version: 1,
      params: {},
      parts: todoParts,
      inputs: { sum: { stage: 'sum', key: sum.key, contentHash: sum.contentHash } },
    };
    const named = (stage: string) => ({ ...job, stage, parts: { ...parts, stage }, key: stageKey({ ...parts, stage }) });

    const hostile: [string, Queue, unknown, RegExp][] = [
      [
        'a foreign module at an absolute path',
        stages,
        { ...job, module: evil, root: '.', parts: evilParts, key: stageKey(evilParts) },
        /carries a code path \(module ".*evil\.ts"\): a job names a stage of the pipeline, never code/,
      ],
      [
        'foreign code named by its hash only',
        stages,
        { ...job, parts: evilParts, key: stageKey(evilParts) },
        /its code for double \(hash \w+\) differs from the code the job was keyed with/,
      ],
      ['an unknown stage', stages, named('evil'), /stage "evil" is not a stage of its pipeline .*pipeline\.yaml \(constant, double, source, sum, todo\)/],
      ['a stage name with ..', stages, named('../escape-stage'), /stage \("\.\.\/escape-stage"\): is not a stage name/],
      ['a short key', stages, { ...job, key: m.key.slice(0, 40) }, /key \("\w{40}"\): must be 64 lowercase hex digits/],
      ['an upper-case key', stages, { ...job, key: m.key.toUpperCase() }, /key \("\w+"\): must be 64 lowercase hex digits/],
      ["params that are not the key's", stages, { ...job, params: { factor: 7 } }, /params of double differ from those its key was made of/],
      [
        "a key that is not the recipe's",
        stages,
        { ...job, params: { factor: 7 }, parts: { ...parts, params: { factor: 7 } } },
        /key \w{12} of double is not the key of the recipe the job carries/,
      ],
      [
        'params the stage refuses',
        stages,
        { ...job, params: { factor: 'x' }, parts: { ...parts, params: { factor: 'x' } } },
        /params of double: double\.factor: /,
      ],
      [
        'an input named by a path',
        stages,
        { ...job, inputs: { values: { ...m.inputs.values, stage: '../source' } } },
        /inputs\.values\.stage \("\.\.\/source"\): is not a stage name/,
      ],
      ['an output folder that leads out of the cache', stages, todo, /output of todo ".*todo\/\w{64}" leads out of .* through a symbolic link/],
      ['a chunk with a foreign module', items, { ...chunk, module: evil }, /carries a code path \(module ".*evil\.ts"\)/],
      [
        'a chunk file that climbs out of the cache',
        items,
        { ...chunk, files: ['../x.item'] },
        /item file of "item-0003" "\.\.\/x\.item" climbs out with '\.\.'/,
      ],
      ['a chunk file at an absolute path', items, { ...chunk, files: [join(base, 'x.item')] }, /item file of "item-0003" ".*x\.item" is absolute/],
      [
        'a chunk file over a committed artifact',
        items,
        { ...chunk, files: [`double/${m.key}/manifest.json`] },
        /item file of "item-0003" is ".*manifest\.json", not that item's file in the work of double/,
      ],
      ['a chunk file of another item', items, { ...chunk, files: [`${work}/${k4}.item`] }, /not that item's file in the work of double/],
      [
        'a chunk input that climbs out of the cache',
        items,
        { ...chunk, inputs: { values: '../outside-artifact' } },
        /input values of double "\.\.\/outside-artifact" climbs out/,
      ],
      [
        'a chunk input at an absolute path',
        items,
        { ...chunk, inputs: { values: join(base, 'outside-artifact') } },
        /input values of double ".*outside-artifact" is absolute/,
      ],
      [
        'a chunk input through a symlink out of the cache',
        items,
        { ...chunk, inputs: { values: 'link-out' } },
        /input values of double "link-out" leads out of .* through a symbolic link/,
      ],
      ['a chunk whose batches do not cover its items', items, { ...chunk, batches: [2] }, /batches of "2" items do not cover the chunk's 1 item ids/],
      ['a chunk item id that is a path', items, { ...chunk, ids: ['../../../etc/passwd'] }, /ids\.0 \("\.\.\/\.\.\/\.\.\/etc\/passwd"\): is not an item id/],
      [
        'a chunk for a key no stage computes',
        items,
        { ...chunk, key: stageKey({ ...parts, params: { factor: 3 } }), params: { factor: 3 }, parts: { ...parts, params: { factor: 3 } } },
        /no stage computes double key \w{12} in .* \(its work folder is missing\)/,
      ],
    ];
    // outside the cache: the scratch folder (evil code, the outside artifact) and the project around the cache
    const outside = (): Record<string, string>[] => [snapshot(base, [join(base, 'tls')]), snapshot(p.dir, [p.cache])];
    const before = outside();
    const inCache = snapshot(p.cache);
    for (const [n, [what, queue, data, why]] of hostile.entries()) {
      const r = await outcome(queue, `hostile-${n}`, data);
      expect(r.state, what).toBe('failed');
      expect(r.reason, what).toMatch(new RegExp(`^worker \\S+ refuses job "hostile-${n}": `));
      expect(r.reason, what).toMatch(why);
      expect(r.reason, what).not.toContain('\n');
    }
    expect(existsSync(marker)).toBe(false);
    expect(outside()).toEqual(before);
    expect(snapshot(p.cache)).toEqual(inCache);
    // one line in the worker's log for each, and no stage started
    expect(
      w
        .log()
        .split('\n')
        .filter((l) => / refuses job "hostile-\d+"/.test(l)),
    ).toHaveLength(hostile.length);
    expect(runEvents(p.cache).filter((e) => e.event === 'started')).toHaveLength(0);

    // the honest jobs the hostile ones were made from pass: each refusal is its one change's
    const honest = await outcome(stages, 'honest-stage', job);
    expect(honest.state, honest.reason).toBe('completed');
    expect((honest.value as { status: string }).status).toBe('cached');
    const honestChunk = await outcome(items, 'honest-chunk', chunk);
    expect(honestChunk.state, honestChunk.reason).toBe('completed');
    expect(honestChunk.value).toMatchObject({ computed: 1, present: 0 });
    expect(existsSync(join(p.cache, work, `${k3}.item`))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  }, 120_000);

  it('a micro run through TLS with an ACL user (coordinator, one worker) and requirepass (another worker); no password anywhere', async () => {
    const cache = join(base, 'micro');
    const tlsUrl = `rediss://dcsp:${ACL_PASSWORD}@127.0.0.1:${redis.tlsPort}`;
    // one worker configured by the environment (TLS, the ACL user), one by its command line (password)
    const overTls = startWorker(
      null,
      cache,
      { DCSP_REDIS: tlsUrl, DCSP_REDIS_CA: certs.ca, DCSP_REDIS_CERT: certs.clientCert, DCSP_REDIS_KEY: certs.clientKey },
      ['--queue', 'tq'],
    );
    const withPassword = startWorker(redis, cache, {}, ['--queue', 'tq']);
    workers.push(overTls, withPassword);
    await Promise.all([ready(overTls, 60_000), ready(withPassword, 60_000)]);
    const tls = ['--redis-ca', certs.ca, '--redis-cert', certs.clientCert, '--redis-key', certs.clientKey];
    const r = await execa(
      process.execPath,
      [BIN, 'run', '--profile', 'micro', '--until', 'attention', '--cache', cache, '--executor', 'bullmq', '--redis', tlsUrl, ...tls, '--queue', 'tq'],
      { cwd: ROOT, reject: false, env: { FORCE_COLOR: '0' } },
    );
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
    expect(String(r.stderr)).toMatch(/3 stage\(s\) ran, 0 cached/);
    // both workers computed: over TLS and over the password-protected port
    const busy = new Set(
      runEvents(cache)
        .filter((e) => e.event === 'chunk' || e.event === 'committed')
        .map((e) => e.worker),
    );
    const name = (w: WorkerProc): string => w.log().match(/worker (\S+): taking jobs/)![1];
    expect(busy).toEqual(new Set([name(overTls), name(withPassword)]));
    expect(overTls.log()).toMatch(/taking jobs from rediss:\/\/dcsp:\*\*\*@127\.0\.0\.1:\d+ /);
    expect(withPassword.log()).toMatch(/taking jobs from redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ /);

    // the passwords are nowhere: logs, runs.jsonl, Redis's own keys (the jobs and their data)
    const texts = [String(r.stdout), String(r.stderr), overTls.log(), withPassword.log(), readFileSync(join(cache, 'runs', 'runs.jsonl'), 'utf8')];
    const admin = new IORedis({ port: redis.port, password: PASSWORD });
    try {
      const keys = await admin.keys('tq:*');
      expect(keys.length).toBeGreaterThan(10);
      for (const k of keys) {
        const type = await admin.type(k);
        const dump =
          type === 'hash'
            ? await admin.hgetall(k)
            : type === 'list'
              ? await admin.lrange(k, 0, -1)
              : type === 'zset'
                ? await admin.zrange(k, '0', '-1')
                : type === 'stream'
                  ? await admin.xrange(k, '-', '+')
                  : type === 'set'
                    ? await admin.smembers(k)
                    : await admin.get(k);
        texts.push(JSON.stringify(dump));
      }
    } finally {
      admin.disconnect();
    }
    for (const t of texts) {
      expect(t).not.toContain(PASSWORD);
      expect(t).not.toContain(ACL_PASSWORD);
    }
  }, 600_000);

  it('a wrong or missing password, an untrusted server and TLS files without TLS are exit 2 in one line that echoes no secret', async () => {
    const p = makeProject('bullmq-login');
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const oneLine = async (args: string[], pattern: RegExp, secret: string, command = 'run'): Promise<void> => {
      const r =
        command === 'run' ? await p.cli(['run', '--until', 'sum', '--executor', 'bullmq', ...args]) : await p.cli(['worker', '--cache', p.cache, ...args]);
      expect(r.code, r.stderr).toBe(2);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
      expect(errors, r.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(pattern);
      expect(r.stderr + r.stdout).not.toContain(secret);
    };
    await oneLine(['--redis', `redis://:${wrong}@127.0.0.1:${redis.port}`], /refused this client: WRONGPASS .*\(check the user and password in --redis/, wrong);
    await oneLine(['--redis', `redis://:${wrong}@127.0.0.1:${redis.port}`], /refused this client: WRONGPASS/, wrong, 'worker');
    // no password at all, to a server that wants one
    await oneLine(['--redis', `redis://127.0.0.1:${redis.port}`], /refused this client: NOAUTH/, PASSWORD);
    // TLS without the CA that signed the server's certificate
    await oneLine(
      ['--redis', `rediss://dcsp:${ACL_PASSWORD}@127.0.0.1:${redis.tlsPort}`, '--redis-cert', certs.clientCert, '--redis-key', certs.clientKey],
      /TLS failed: .*certificate.*\(check --redis-ca/,
      ACL_PASSWORD,
    );
    await oneLine(
      ['--redis', `redis://:${PASSWORD}@127.0.0.1:${redis.port}`, '--redis-ca', certs.ca],
      /--redis-ca is for TLS: give a rediss:\/\/ URL, got 'redis:\/\/:\*\*\*@/,
      PASSWORD,
    );
  }, 120_000);
});
