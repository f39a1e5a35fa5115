// `pipeline verify`: re-hashes every committed artifact; corrupt ones are set aside.
import { verifyStore } from '../../store/verify.ts';
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

export const verify = defineCommand({
  name: 'verify',
  summary: 're-hash every artifact; corrupt ones are set aside and recomputed by the next run',
  usage: HELP.verify,
  options: { json: { type: 'boolean' } },
  async run(values, io) {
    const { store } = await openPipeline(values);
    const reports = await verifyStore(store, (r) => {
      if (!values.json)
        io.out(
          `${r.ok ? 'ok     ' : 'CORRUPT'} ${r.stage}/${r.key.slice(0, 12)}${r.ok ? '' : `: ${r.problems.join('; ')} (set aside; the next run recomputes it)`}`,
        );
    });
    const bad = reports.filter((r) => !r.ok).length;
    if (values.json) io.out(JSON.stringify(reports));
    else io.out(`${reports.length} artifact(s) checked, ${bad} corrupt`);
    return bad ? 1 : 0;
  },
});
