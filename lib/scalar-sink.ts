// @dcsp-code-hash: none (an interface: run facts never change what a stage computes)
// What a stage's code logs its curves through: the executor hands a stage a sink that writes
// TensorBoard event files and a JSON-lines scalars file outside the artifact (lib/watch/). This
// interface is all a stage's code sees of it, so the writer stays outside every stage's code
// identity (lib/contract/code-hash.ts follows runtime imports only): editing the writer re-keys nothing.

export interface ScalarSink {
  /**
   * Where this process's curve starts: whatever an earlier process logged for the stage at this
   * step or after is dropped (a training resumed from its checkpoint at step - 1). Without a call,
   * the first step logged is the start.
   */
  restart(step: number): void;
  /** The scalars of one step, tag -> value (non-finite values are left out); steps in increasing order. */
  scalars(step: number, values: Readonly<Record<string, number>>): void;
  /** a Markdown text at a step (TensorBoard's text dashboard) */
  text(step: number, tag: string, markdown: string): void;
}
