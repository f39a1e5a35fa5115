// `pipeline gc`: removes what no profile of the pipeline file references.
import { collectGarbage } from '../../exec/gc.ts';
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

export const gc = defineCommand({
  name: 'gc',
  summary: 'remove artifacts no profile references (--dry-run)',
  usage: HELP.gc,
  options: { 'dry-run': { type: 'boolean' } },
  async run(values, io) {
    const dry = Boolean(values['dry-run']);
    const { p, store } = await openPipeline(values, { write: !dry });
    const removed = await collectGarbage(p, store, dry);
    for (const r of removed) io.out(`${dry ? 'would remove' : 'removed'} ${r.path} (${mb(r.bytes)}): ${r.why}`);
    io.out(`${removed.length} entr${removed.length === 1 ? 'y' : 'ies'}, ${mb(removed.reduce((a, r) => a + r.bytes, 0))}${dry ? ' (dry run)' : ''}`);
    return 0;
  },
});
