// `pipeline status [--watch]`: each stage cached, stale (and why), running or abandoned.
import { InputError } from '../../errors.ts';
import { intOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

export const status = defineCommand({
  name: 'status',
  summary: 'show each stage as cached, stale (and why), running (how far, ETA) or abandoned; --watch',
  usage: HELP.status,
  options: { json: { type: 'boolean' }, watch: { type: 'boolean' }, interval: { type: 'string' } },
  async run(values, io) {
    const { p, store } = await openPipeline(values);
    const { statusFrame, watchStatus } = await import('../status.ts');
    const render = async (): Promise<string> => {
      const f = await statusFrame(p, store);
      // watched, JSON comes one frame per line
      return values.json ? JSON.stringify(f.json, null, values.watch ? undefined : 1) : f.lines.join('\n');
    };
    if (!values.watch) {
      if (values.interval !== undefined) throw new InputError('pipeline status: --interval goes with --watch');
      io.out(await render());
      return 0;
    }
    const seconds = intOption('status', 'interval', values.interval) ?? 2;
    if (seconds < 1) throw new InputError('pipeline status: --interval must be at least 1 (seconds)');
    return watchStatus(render, io.out, seconds, values.json ? 'json' : process.stdout.isTTY ? 'tty' : 'lines');
  },
});
