// $DCSP_MIRRORS: a pinned URL is replaced together with its checksum, never by a mirror without one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mirrorOf, withMirror } from '../../lib/data/mirrors.ts';
import { VOC_SOURCES } from '../../lib/data/prepare-voc.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-mirrors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function envWith(content: unknown): NodeJS.ProcessEnv {
  const file = join(dir, `m-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { DCSP_MIRRORS: file };
}

describe('download mirrors', () => {
  it('replaces URL and checksum of the named file only; without the variable nothing changes', () => {
    const env = envWith({ [VOC_SOURCES.voc.url]: { url: 'http://127.0.0.1:9/voc.tar', md5: 'a'.repeat(32) } });
    expect(withMirror(VOC_SOURCES.voc, env)).toEqual({ ...VOC_SOURCES.voc, url: 'http://127.0.0.1:9/voc.tar', md5: 'a'.repeat(32) });
    expect(withMirror(VOC_SOURCES.sbd, env)).toBe(VOC_SOURCES.sbd);
    expect(withMirror(VOC_SOURCES.voc, {})).toBe(VOC_SOURCES.voc);
    expect(mirrorOf('http://elsewhere/x', env)).toBeUndefined();
  });

  it('refuses a mirror without a checksum for a pinned file, and names a bad mirrors file', () => {
    const env = envWith({ [VOC_SOURCES.voc.url]: { url: 'http://127.0.0.1:9/voc.tar' } });
    expect(() => withMirror(VOC_SOURCES.voc, env)).toThrow(/needs an md5 \(the original is pinned to 6cd6e144/);
    expect(() => mirrorOf('x', envWith('{ not json'))).toThrow(/DCSP_MIRRORS=.*cannot read it as JSON/);
    expect(() => mirrorOf('x', envWith({ x: { url: 'http://a/b', md5: 'short' } }))).toThrow(/DCSP_MIRRORS=.*: x\.md5: /);
  });
});
