// `pipeline` command line: finds the command, lets it parse its options, settles the tensor
// settings every process of the command shares, and turns failures into one line and an exit code.
// Every command loads and validates the pipeline first, so bad input is reported (exit 2) before
// anything touches the cache.
import { InputError, StageFailedError } from '../errors.ts';
import { writeLine } from '../exec/progress.ts';
import type { Command, Io } from './command.ts';
import { dag } from './commands/dag.ts';
import { doctor } from './commands/doctor.ts';
import { gc } from './commands/gc.ts';
import { predict } from './commands/predict.ts';
import { report } from './commands/report.ts';
import { run } from './commands/run.ts';
import { saliency } from './commands/saliency.ts';
import { status } from './commands/status.ts';
import { sweep } from './commands/sweep.ts';
import { verify } from './commands/verify.ts';
import { worker } from './commands/worker.ts';
import { mainHelp, registriesHelp } from './help.ts';
import { locate } from './open-pipeline.ts';
import { exportTensorOptions, settleNumerics } from './tensor-env.ts';

/** in the order `pipeline --help` lists them */
export const COMMANDS: readonly Command[] = [run, status, doctor, dag, gc, verify, sweep, report, predict, saliency, worker];

const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => writeLine(t),
};

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const at = rest.indexOf('--pipeline');
    io.out(`${mainHelp(COMMANDS)}\n\n${await registriesHelp(locate({ pipeline: at < 0 ? undefined : rest[at + 1] }).file)}`);
    return name ? 0 : 2;
  }
  try {
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new InputError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see pipeline --help)`);
    const invocation = command.parse(rest);
    // stages read them from the environment, in this process, its workers and its child processes
    exportTensorOptions(invocation.common);
    if (invocation.common.help) {
      io.out(command.usage);
      return 0;
    }
    const numerics = await settleNumerics(command.computes);
    if (command.computes || command.name === 'status') for (const note of numerics.notes) io.err(note);
    return await invocation.run(io);
  } catch (err) {
    if (err instanceof InputError || err instanceof StageFailedError) {
      io.err(`error: ${err.message}`);
      return err.exitCode;
    }
    // a failure that is not the user's input: one line, and the stack only on request
    const e = err as Error;
    if (process.env.DCSP_DEBUG === '1') io.err(e.stack ?? String(e));
    else io.err(`error: ${e.message?.split('\n')[0] ?? String(e)} (set DCSP_DEBUG=1 for the stack)`);
    return 1;
  }
}
