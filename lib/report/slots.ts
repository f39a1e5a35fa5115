// The report's input slots: what stages/report.ts declares and what the report reads. Which stage
// fills a slot is pipeline.yaml's business (the report stage's `inputs`); the report is told.
export const REPORT_SLOTS = ['dataset', 's1', 's2', 's3', 'attention', 'cues', 'adapt', 'eval', 'direct', 'oracle'] as const;
export type ReportSlot = (typeof REPORT_SLOTS)[number];

/** the comparison rows: no joint training (the paper's Table 4) and the ground-truth-cue oracle */
export const OPTIONAL_REPORT_SLOTS: readonly ReportSlot[] = ['direct', 'oracle'];
