// The stages a worker will run: those of its own pipeline file, loaded and validated as every CLI
// command loads it, each with the module that file names in the worker's own checkout. A job names
// a stage; its code is looked up here, never taken from the job.
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPipeline } from '../dag/load.ts';
import { codeHash } from '../stage/code-hash.ts';
import type { StageDefinition } from '../stage/stage.ts';
import { ensureTypeScript } from '../stage/typescript.ts';

export class StageRegistry {
  private readonly defs = new Map<string, Promise<StageDefinition>>();

  private constructor(
    /** the pipeline file, absolute */
    readonly file: string,
    private readonly modules: Map<string, string>,
  ) {}

  /** Bad YAML or a missing module is an InputError (exit 2), as for any command. */
  static async load(file: string, cacheDir: string): Promise<StageRegistry> {
    const p = await loadPipeline(file, { cacheDir });
    const modules = new Map<string, string>([...p.stages.values(), ...p.idle].map((s) => [s.name, s.module]));
    return new StageRegistry(p.file, modules);
  }

  get names(): string[] {
    return [...this.modules.keys()].sort();
  }

  has(stage: string): boolean {
    return this.modules.has(stage);
  }

  /** absolute path of the stage's module in this checkout */
  module(stage: string): string {
    const m = this.modules.get(stage);
    if (!m) throw new Error(`no stage ${stage} in ${this.file}`);
    return m;
  }

  /** the identity of this checkout's code for the stage (lib/stage/code-hash.ts) */
  codeHash(stage: string): string {
    return codeHash(this.module(stage), dirname(this.file));
  }

  definition(stage: string): Promise<StageDefinition> {
    let d = this.defs.get(stage);
    if (!d) {
      d = ensureTypeScript().then(async () => ((await import(pathToFileURL(this.module(stage)).href)) as { default: StageDefinition }).default);
      this.defs.set(stage, d);
    }
    return d;
  }
}
