// What an executor plugin is: where `pipeline run|sweep` has its stages computed. The list is
// registry.ts; adding one is a file like local.ts or bullmq.ts and a line there.
import type { RemoteStages } from '../../exec/compute-stage.ts';
import type { Store } from '../../store/store.ts';
import type { Options } from '../args.ts';
import type { RawValues } from '../option-value.ts';

/** stage keys computed elsewhere, until closed */
export type OpenExecutor = RemoteStages & { close(): Promise<void> };

export interface ExecutorContext {
  /** the command (run, sweep), for messages */
  command: string;
  /** the whole parsed command line: this plugin's options among the rest */
  values: RawValues;
  store: Store;
  log(line: string): void;
}

export interface ExecutorPlugin {
  /** what --executor names */
  name: string;
  /** its line in --help */
  summary: string;
  /** options only this executor reads; given with another executor they are refused */
  options: Options;
  /** --help lines for those options */
  optionHelp: string;
  /**
   * Connected and checked before anything runs (bad options or refused credentials: InputError);
   * null: the stages are computed by this process (the local executor).
   */
  open(ctx: ExecutorContext): Promise<OpenExecutor | null>;
}
