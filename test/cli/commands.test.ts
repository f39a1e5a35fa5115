// The command list and each command's own typed parsing, through main() as the binary calls it.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VOC_PHOTO_JPG } from '../fixtures/voc-photo.ts';
import { COMMANDS, main } from '../../lib/cli/main.ts';
import { defineCommand } from '../../lib/cli/command.ts';
import { InputError } from '../../lib/errors.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function capture(): { io: { out(t: string): void; err(t: string): void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => void out.push(t), err: (t) => void err.push(t) }, out, err };
}

describe('commands', () => {
  it('pipeline --help lists every command with its summary, in the list order', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    const listed = [...c.out.join('\n').matchAll(/^ {2}([a-z]+) +(.+)$/gm)].filter((m) => COMMANDS.some((x) => x.name === m[1]));
    expect(listed.map((m) => m[1])).toEqual(COMMANDS.map((x) => x.name));
    for (const m of listed) expect(m[2]).toBe(COMMANDS.find((x) => x.name === m[1])!.summary);
  });

  it('every command has its own usage for --help, and names unique', async () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    for (const command of COMMANDS) {
      const c = capture();
      expect(await main([command.name, '--help'], c.io)).toBe(0);
      expect(c.out.join('\n')).toBe(command.usage);
      expect(command.usage).toMatch(new RegExp(`^Usage: pipeline ${command.name}\\b`));
    }
  });

  it('an unknown command or option is one line and exit 2', async () => {
    let c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err).toEqual([`error: unknown command 'frobnicate' (commands: ${COMMANDS.map((x) => x.name).join(', ')}; see pipeline --help)`]);
    c = capture();
    expect(await main(['dag', '--bogus'], c.io)).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(/^error: pipeline dag: Unknown option '--bogus'/);
  });

  it("a command gets its own options typed, with the common ones; another command's are refused", async () => {
    let seen: { n?: string; flag?: boolean; many?: string[]; profile?: string } = {};
    const cmd = defineCommand({
      name: 'probe',
      summary: 's',
      usage: 'Usage: pipeline probe',
      options: { n: { type: 'string' }, flag: { type: 'boolean' }, many: { type: 'string', multiple: true } },
      async run(values) {
        seen = { n: values.n, flag: values.flag, many: values.many, profile: values.profile };
        return 0;
      },
    });
    const inv = cmd.parse(['--n', '3', '--flag', '--many', 'a', '--many', 'b', '-p', 'micro']);
    expect(inv.common.profile).toBe('micro');
    expect(await inv.run(capture().io)).toBe(0);
    expect(seen).toEqual({ n: '3', flag: true, many: ['a', 'b'], profile: 'micro' });
    expect(() => cmd.parse(['--until', 'eval'])).toThrow(InputError);
    expect(() => cmd.parse(['image.jpg'])).toThrow(/pipeline probe: .*positional/i);
  });

  it('pipeline saliency erases at the thresholds the pipeline resolves, --set included', async () => {
    const dir = join(ROOT, 'test/.tmp', `saliency-cmd-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const run = async (...set: string[]): Promise<string> => {
        const c = capture();
        const args = ['saliency', VOC_PHOTO_JPG, '--out', join(dir, 'panel.png'), '--cache', join(dir, 'cache'), ...set.flatMap((s) => ['--set', s])];
        expect(await main(args, c.io), c.err.join('\n')).toBe(0);
        return c.out.join('\n');
      };
      expect(await run()).toMatch(/3 passes \(erasing at >= 0\.7, 0\.8\)/);
      expect(await run('erase-s3.threshold=0.9')).toMatch(/3 passes \(erasing at >= 0\.7, 0\.9\)/);
      expect(existsSync(join(dir, 'panel.png'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
