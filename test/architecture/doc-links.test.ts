// The README, docs/ and the folder READMEs point only at things that exist: every relative link
// (and its #anchor) and every repository path they name (`lib/x/y.ts`, in backticks or in plain
// prose), and the README's list of folder READMEs names them all. A failure lists each broken
// pointer as file:line, so a move elsewhere in the code says which lines of prose to follow it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenRefs, docRefs, linkedFiles, slug } from './doc-refs.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function docs(): string[] {
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

function folderReadmes(): string[] {
  return readdirSync(join(ROOT, 'lib'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(ROOT, 'lib', e.name, 'README.md')))
    .map((e) => `lib/${e.name}/README.md`)
    .sort();
}

describe('documentation links', () => {
  it('every relative link and backticked repository path in README.md and docs/*.md exists', () => {
    const files = docs();
    expect(files.length).toBeGreaterThan(5);
    const refs = files.flatMap((f) => docRefs(f, readFileSync(join(ROOT, f), 'utf8')));
    // the README alone names dozens; a parser that found none would pass vacuously
    expect(refs.filter((r) => r.file === 'README.md' && r.kind === 'link').length).toBeGreaterThan(20);
    expect(refs.filter((r) => r.kind === 'path').length).toBeGreaterThan(20);
    const broken = brokenRefs(ROOT, refs);
    expect(broken, `broken pointers in the docs:\n${broken.join('\n')}\n`).toEqual([]);
  });

  it('every relative link and repository path in the folder READMEs (lib/<folder>/README.md) exists', () => {
    const files = folderReadmes();
    const broken = brokenRefs(
      ROOT,
      files.flatMap((f) => docRefs(f, readFileSync(join(ROOT, f), 'utf8'))),
    );
    expect(broken, `broken pointers in the folder READMEs:\n${broken.join('\n')}\n`).toEqual([]);
  });

  it('the README links every folder README under lib/', () => {
    const readmes = folderReadmes();
    expect(readmes.length).toBeGreaterThan(10);
    const linked = linkedFiles(docRefs('README.md', readFileSync(join(ROOT, 'README.md'), 'utf8')));
    const missing = readmes.filter((f) => !linked.has(f));
    expect(missing, `folder READMEs the README does not link:\n${missing.join('\n')}\n`).toEqual([]);
  });

  it('finds each kind of broken pointer in a made-up page, and ignores code blocks and placeholders', () => {
    const page = [
      '# A page',
      '## Keys: `pipeline gc` and more',
      'See [the README](../README.md), [keys](#keys-pipeline-gc-and-more) and [gone](missing.md).',
      'Also [a bad anchor](../README.md#no-such-heading), `lib/nowhere/x.ts`, `lib/work/<X>.ts` and `test/.cache/`,',
      'and a span that wraps: `npx vitest run',
      'lib/also-nowhere.ts`; [out](../../etc/passwd); [web](https://example.org/x); in prose (lib/gone.ts: why).',
      '```',
      'cat lib/in-a-fence.ts   [fenced](nowhere.md)',
      '```',
    ].join('\n');
    const refs = docRefs('docs/made-up.md', page);
    const broken = brokenRefs(ROOT, refs, new Map([['docs/made-up.md', page]])).map((b) => b.replace(/ \(.*$/, ''));
    expect(broken).toEqual([
      'docs/made-up.md:3: missing.md',
      'docs/made-up.md:4: ../README.md#no-such-heading',
      'docs/made-up.md:6: ../../etc/passwd',
      'docs/made-up.md:4: lib/nowhere/x.ts',
      'docs/made-up.md:5: lib/also-nowhere.ts',
      'docs/made-up.md:6: lib/gone.ts',
    ]);
  });

  it("makes GitHub's anchors", () => {
    expect(slug('Before the run: `pipeline doctor`')).toBe('before-the-run-pipeline-doctor');
    expect(slug('Measured (bench/train-step.ts)')).toBe('measured-benchtrain-stepts');
    expect(slug('Native TensorFlow (tfjs-node, tfjs-node-gpu)')).toBe('native-tensorflow-tfjs-node-tfjs-node-gpu');
    expect([...anchorsOf('## A\n## A\n```\n## B\n```')]).toEqual(['a', 'a-1']);
  });
});
