// The TTY status line: bars of stages running side by side share one line, log lines go above it,
// and an isolated stage's tagged stderr lines land on the board rather than in the log.
import { describe, expect, it } from 'vitest';
import { createProgress, PROGRESS_TAG, relayChildLine, writeLine } from '../../lib/exec/progress.ts';

function fakeTty(): { stream: NodeJS.WriteStream; screen(): string[] } {
  let out = '';
  const write = (t: string): boolean => {
    out += t;
    return true;
  };
  const stream = { isTTY: true, columns: 200, write } as unknown as NodeJS.WriteStream;
  // what a terminal shows: \r + clear-line rewrites the current line
  const screen = (): string[] => {
    const lines: string[] = [''];
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is the erase-line sequence the progress writer emits
    for (const part of out.split(/(\r\x1b\[2K|\n)/)) {
      if (part === '\n') lines.push('');
      else if (part === '\r\x1b[2K') lines[lines.length - 1] = '';
      else lines[lines.length - 1] += part;
    }
    return lines;
  };
  return { stream, screen };
}

describe('status line', () => {
  it('joins concurrent bars on one line and prints log lines and finished bars above it', async () => {
    const { stream, screen } = fakeTty();
    const a = createProgress('attention', { stream, tty: true });
    const b = createProgress('eval-direct', { stream, tty: true });
    a.start(10, 'items');
    b.start(4, 'items');
    // a bar redraws at most every 100 ms
    await new Promise((r) => setTimeout(r, 120));
    a.tick(5);
    b.tick(1);
    let s = screen();
    expect(s[s.length - 1]).toMatch(/^attention items: 5\/10 .* \| eval-direct items: 1\/4 /);
    writeLine('a log line', stream);
    a.done();
    s = screen();
    expect(s.slice(0, -1)).toEqual(['a log line', expect.stringMatching(/^attention items: \[#+\.*\] 5\/10/)]);
    expect(s[s.length - 1]).toMatch(/^eval-direct items: \[#+\.*\] 1\/4/);
  });

  it("puts a child's tagged bar on the board and its other lines in the log", () => {
    const { stream, screen } = fakeTty();
    relayChildLine('train', `${PROGRESS_TAG}train seg: 3/400 (1%)`, stream);
    relayChildLine('train', 'backend: wasm (simd, 1 thread)', stream);
    let s = screen();
    expect(s).toEqual(['backend: wasm (simd, 1 thread)', 'train seg: 3/400 (1%)']);
    relayChildLine('train', `${PROGRESS_TAG}${PROGRESS_TAG}train seg: 400/400 (100%)`, stream);
    s = screen();
    expect(s).toEqual(['backend: wasm (simd, 1 thread)', 'train seg: 400/400 (100%)', '']);
    // a child that dies mid-bar leaves nothing on the status line
    relayChildLine('retrain', `${PROGRESS_TAG}retrain seg: 7/400 (2%)`, stream);
    relayChildLine('retrain', null, stream);
    expect(screen().at(-1)).toBe('');
  });
});
