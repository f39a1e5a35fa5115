import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { makeProject, type Project } from './project.ts';

async function run(p: Project, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--pipeline', p.pipeline], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe('pipeline validation', () => {
  let p: Project;
  beforeEach(() => {
    p = makeProject('validation');
  });
  const edit = (from: string, to: string): void => {
    const text = readFileSync(p.pipeline, 'utf8');
    expect(text).toContain(from);
    writeFileSync(p.pipeline, text.replace(from, to));
  };
  const expectError = async (args: string[], pattern: RegExp): Promise<void> => {
    const r = await run(p, args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(pattern);
    expect(existsSync(join(p.dir, 'cache', 'source'))).toBe(false);
  };

  it('reports YAML syntax errors with file:line:col', async () => {
    edit('  double:\n    inputs: { values: source }', '  double:\n    inputs: { values: source\n');
    await expectError(['run'], /pipeline\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('an alias bomb is bad input naming the file and its first alias, refused at once', async () => {
    // nine copies per level, seven levels: about 4.8 million strings if the aliases were expanded
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    writeFileSync(p.pipeline, `${levels.join('\n')}\n${readFileSync(p.pipeline, 'utf8')}`);
    const t0 = performance.now();
    await expectError(['status'], /^error: .*pipeline\.yaml:2:8: YAML aliases expand to too many copies/);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('names an unknown key with its position', async () => {
    edit('    inputs: { values: source }\n  constant', '    inptus: { values: source }\n  constant');
    await expectError(['run'], /pipeline\.yaml:9:5: stages\.double\.inptus: unknown key 'inptus'/);
  });

  it('names an unknown input stage', async () => {
    edit('inputs: { values: source }\n  constant', 'inputs: { values: sourse }\n  constant');
    await expectError(['status'], /pipeline\.yaml:9:23: stage double: input values names unknown stage 'sourse'/);
  });

  it('names an unknown input slot', async () => {
    edit('inputs: { values: source }\n  constant', 'inputs: { value: source }\n  constant');
    await expectError(['dag'], /stage double has no input 'value' \(its inputs: values\)/);
  });

  it('rejects duplicate stages', async () => {
    edit('  todo:', '  sum:\n    inputs: { doubled: double, constant: constant }\n  todo:');
    await expectError(['run'], /pipeline\.yaml:\d+:\d+: duplicate key 'sum'/);
  });

  it('prints a cycle', async () => {
    edit('  source:\n    params: { count: 20 }', '  source:\n    params: { count: 20 }\n    module: stages/source-with-input.ts\n    inputs: { back: sum }');
    writeFileSync(
      join(p.dir, 'stages/source-with-input.ts'),
      readFileSync(join(p.dir, 'stages/source.ts'), 'utf8').replace('inputs: [],', "inputs: ['back'],"),
    );
    await expectError(['run'], /the stages form a cycle: (source -> double -> sum -> source|sum -> source -> double -> sum|double -> sum -> source -> double)/);
  });

  it('rejects a bad --set path and a bad --set value type', async () => {
    await expectError(['run', '--set', 'double.facter=3'], /--set double\.facter=3: double\.facter: unknown key 'facter'/);
    await expectError(['run', '--set', 'double.factor=abc'], /--set double\.factor=abc: double\.factor: expected number, got the string "abc"/);
    await expectError(['run', '--set', 'nosuch.x=1'], /--set nosuch\.x=1: unknown stage 'nosuch'/);
    await expectError(['run', '--set', 'double'], /--set double: expected stage\.param=value/);
  });

  it('validates params in every profile, naming the profile line', async () => {
    edit('      source: { count: 30 }', "      source: { count: 'many' }");
    await expectError(['status'], /pipeline\.yaml:20:17: source\.count: expected number, got the string "many"/);
  });

  it('rejects unknown profiles, commands and options', async () => {
    await expectError(['run', '--profile', 'nope'], /unknown profile 'nope' \(profiles in .*: base, big\)/);
    await expectError(['frobnicate'], /unknown command 'frobnicate'/);
    await expectError(['run', '--bogus'], /pipeline run: Unknown option '--bogus'/);
    await expectError(['run', '--until', 'nosuch'], /unknown stage 'nosuch'/);
  });

  it('stops at a declared-only stage with a clear message and no output', async () => {
    const r = await run(p, ['run', '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/stage todo is not implemented yet/);
    expect(existsSync(join(p.dir, 'cache', 'todo'))).toBe(false);
    expect(readdirSync(join(p.dir, 'cache', 'sum')).filter((e) => /^[0-9a-f]{64}$/.test(e))).toHaveLength(1);
  });

  it('has --help on every command', async () => {
    for (const cmd of ['run', 'status', 'dag', 'gc', 'verify']) {
      const r = await run(p, [cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`pipeline ${cmd}`);
    }
  });
});
