// No public package registry is named in the repository: the code asks npm which registry it is
// configured for (lib/saliency/isnet-package.ts) and the prose says "the npm registry". The lock
// file is npm's own record of where each package came from, and is left out.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
// assembled from parts, so that this file does not match itself
const HOSTS = new RegExp(['registry\\.npm' + 'js', 'npm' + 'js\\.(org|com)', 'yarn' + 'pkg', 'py' + 'pi\\.org'].join('|'), 'i');
const EXEMPT = new Set(['package-lock.json']);
const UNTRACKED_DIRS = new Set(['.git', 'node_modules', 'cache', 'dist', '.cache', '.tmp']);

/** The repository's tracked files; without git (an exported tree), every file outside build and cache folders. */
function repositoryFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) {
          if (!UNTRACKED_DIRS.has(e.name)) walk(join(dir, e.name));
        } else if (e.isFile()) out.push(relative(ROOT, join(dir, e.name)));
      }
    };
    walk(ROOT);
    return out;
  }
}

describe('registry hosts', () => {
  it('no tracked file names a public package registry host (package-lock.json aside)', () => {
    const files = repositoryFiles().filter((f) => !EXEMPT.has(f));
    expect(files.length).toBeGreaterThan(100);
    const hits: string[] = [];
    for (const f of files) {
      const path = join(ROOT, f);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch {
        continue; // deleted in the work tree, not yet committed
      }
      if (!st.isFile() || st.size > 5_000_000) continue;
      const text = readFileSync(path, 'latin1');
      text.split('\n').forEach((line, i) => {
        if (HOSTS.test(line)) hits.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('the pattern finds what it is for: the registries npm and pip use when nobody configures one', () => {
    // their built-in defaults, asked of the tools themselves (with empty config files and no npm_config_*
    // variables, which `npm test` sets), so that no host is spelled out in this repository either
    const empty = mkdtempSync(join(tmpdir(), 'dcsp-npmrc-'));
    for (const f of ['user', 'global']) writeFileSync(join(empty, f), '');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const npmDefault = execFileSync('npm', ['config', 'get', 'registry', `--userconfig=${join(empty, 'user')}`, `--globalconfig=${join(empty, 'global')}`], {
      cwd: empty,
      env,
      encoding: 'utf8',
    }).trim();
    const pipDefault = execFileSync('python3', ['-c', 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)'], { encoding: 'utf8' }).trim();
    rmSync(empty, { recursive: true, force: true });
    for (const url of [npmDefault, pipDefault]) expect(HOSTS.test(url), url).toBe(true);
    expect(HOSTS.test('the npm registry')).toBe(false);
  });
});
