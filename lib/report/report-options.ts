// What a report is asked for and what building one yields.
import type { ProbeSeries } from './probe-curves.ts';
import type { ReportSlot } from './slots.ts';
import type { SweepRow } from './tables.ts';

export type { SweepRow } from './tables.ts';

export interface ReportOptions {
  /**
   * Artifact dirs by report slot (dataset, s1, s2, s3, attention, cues, adapt, eval, direct,
   * oracle). At least one; the other slots are found upstream of these through the manifests,
   * under the stage `stages` maps them to.
   */
  artifacts: Partial<Record<ReportSlot, string>>;
  /** slot -> the stage that fills it, from the resolved pipeline (the report stage's inputs) */
  stages?: Partial<Record<ReportSlot, string>>;
  /** default: two levels up from the first artifact dir */
  cacheRoot?: string;
  /** sweep results to tabulate (one row per variant) */
  sweep?: SweepRow[];
  /** images per figure (train and val), default 8 */
  samples?: number;
  /** longest side of an inlined picture, default 256 */
  maxSide?: number;
  title?: string;
  /** the node that stands for the report itself in the DAG, when it is a stage */
  self?: { stage: string; key?: string };
  /**
   * Show the facts of how artifacts were computed (times, it/s, resumed from, what the last run
   * did); default true. The report stage leaves them out: its artifact must be a function of its
   * key, and those facts are not part of any artifact's content (a resumed run differs in them).
   */
  runFacts?: boolean;
  /** with run facts: the trainings' checkpoint measures from the run's scalars files (the same as TensorBoard's) */
  probes?: ProbeSeries[];
}

export interface ReportResult {
  html: string;
  /** pictures inlined */
  images: number;
  /** stages in the DAG (not counting the report) */
  stages: number;
  samples: { train: string[]; val: string[] };
}

export interface WriteReportOptions extends ReportOptions {
  /** path of the HTML file to write */
  out: string;
}
