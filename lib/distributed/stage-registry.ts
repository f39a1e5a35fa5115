// The stages a worker will run: those of its own pipeline file, each with the module that file
// names in the worker's own checkout. A job names a stage; its code is looked up here, never taken
// from the job. The file is read and its stage names and modules checked at start (exit 2 on bad
// input, as for any command); a module is imported when a job for its stage first arrives.
import { pathToFileURL } from 'node:url';
import { readPipelineFile, stageModules } from '../dag/pipeline-file.ts';
import { codeHash } from '../stage/code-hash.ts';
import type { StageDefinition } from '../stage/stage.ts';
import { ensureTypeScript } from '../stage/typescript.ts';

export class StageRegistry {
  private readonly defs = new Map<string, Promise<StageDefinition>>();

  private constructor(
    /** the pipeline file, absolute */
    readonly file: string,
    /** its folder (code hashes are relative to it) */
    private readonly root: string,
    private readonly modules: Map<string, string>,
  ) {}

  static load(file: string): StageRegistry {
    const p = readPipelineFile(file);
    const modules = new Map([...stageModules(p)].map(([name, m]) => [name, m.module]));
    return new StageRegistry(p.path, p.root, modules);
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
    return codeHash(this.module(stage), this.root);
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
