// `pipeline dag`: the stages in dependency order, as text or a mermaid flowchart.
import { InputError } from '../../errors.ts';
import { defineCommand } from '../command.ts';
import { dagText } from '../format/dag-text.ts';
import { mermaidDag } from '../format/mermaid.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

export const dag = defineCommand({
  name: 'dag',
  summary: 'print the stages in dependency order (--format mermaid)',
  usage: HELP.dag,
  options: { format: { type: 'string' } },
  async run(values, io) {
    const { p } = await openPipeline(values);
    const format = values.format ?? 'text';
    if (format === 'mermaid') io.out(mermaidDag(p));
    else if (format === 'text') for (const line of dagText(p)) io.out(line);
    else throw new InputError(`pipeline dag: --format must be text or mermaid, got '${format}'`);
    return 0;
  },
});
