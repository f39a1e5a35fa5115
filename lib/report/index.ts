// The HTML report: one self-contained file from a pipeline's artifacts (see write-report.ts).
export { buildReport, writeReport, REPORT_SLOTS, type ReportOptions, type ReportResult, type ReportSlot, type WriteReportOptions, type SweepRow } from './write-report.ts';
export { walkLineage, readRunLog, cacheRootOf, type Lineage, type LineageNode, type RunRecord } from './lineage.ts';
