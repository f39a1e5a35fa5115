// The HTML report: one self-contained file from a pipeline's artifacts (see write-report.ts).
export { buildReport, writeReport, type ReportOptions, type ReportResult, type WriteReportOptions, type SweepRow } from './write-report.ts';
export { walkLineage, readRunLog, cacheRootOf, type Lineage, type LineageNode, type RunRecord } from './lineage.ts';
export { REPORT_SLOTS, OPTIONAL_REPORT_SLOTS, type ReportSlot } from './slots.ts';
