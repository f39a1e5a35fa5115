// The stages a worker will run: those of its own pipeline file, each with the module that file
// names in the worker's own checkout. A job names a stage; its code is looked up here, never taken
// from the job. The file is read and its stage names and modules checked at start (exit 2 on bad
// input, as for any command); a module is imported when a job for its stage first arrives.
import { importStage, readPipelineFile, stageModules, type StageModule } from '../dag/pipeline-file.ts';
import { codeHash } from '../contract/code-hash.ts';
import type { StageDefinition } from '../contract/stage.ts';

export class StageRegistry {
  private constructor(
    /** the pipeline file, absolute */
    readonly file: string,
    /** its folder (code hashes are relative to it) */
    private readonly root: string,
    private readonly modules: Map<string, StageModule>,
  ) {}

  static load(file: string): StageRegistry {
    const p = readPipelineFile(file);
    return new StageRegistry(p.path, p.root, stageModules(p));
  }

  get names(): string[] {
    return [...this.modules.keys()].sort();
  }

  has(stage: string): boolean {
    return this.modules.has(stage);
  }

  /** absolute path of the stage's module in this checkout */
  module(stage: string): string {
    return this.entry(stage).module;
  }

  private entry(stage: string): StageModule {
    const m = this.modules.get(stage);
    if (!m) throw new Error(`no stage ${stage} in ${this.file}`);
    return m;
  }

  /** the identity of this checkout's code for the stage (lib/contract/code-hash.ts) */
  codeHash(stage: string): string {
    return codeHash(this.module(stage), this.root);
  }

  /** the stage's definition, checked as the CLI checks it (lib/dag/pipeline-file.ts) */
  definition(stage: string): Promise<StageDefinition> {
    const m = this.entry(stage);
    return importStage(m.module, m.where, stage, m.explicit);
  }
}
