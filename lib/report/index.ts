// The HTML report: one self-contained file from a pipeline's artifacts (see write-report.ts).
export { buildReport, writeReport } from './write-report.ts';
export type { ReportOptions, ReportResult, WriteReportOptions, SweepRow } from './report-options.ts';
export { walkLineage, readRunLog, cacheRootOf, type Lineage, type LineageNode, type RunRecord } from './lineage.ts';
export { REPORT_SLOTS, OPTIONAL_REPORT_SLOTS, type ReportSlot } from './slots.ts';
