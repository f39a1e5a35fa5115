// What a finished run ends with: the val mIoU (as a share of the oracle's), the direct baseline,
// and where the report is.
import { join } from 'node:path';
import { formatPercent } from '../../format.ts';
import type { Store } from '../../store/store.ts';

export interface RunOutcome {
  stage: string;
  key: string;
  manifest: { metrics: Record<string, unknown> };
}

export function headline(outcomes: readonly RunOutcome[], store: Store, runPage: string | null): string[] {
  const miou = (stage: string): number | null => {
    const v = outcomes.find((o) => o.stage === stage)?.manifest.metrics.meanIoU;
    return typeof v === 'number' ? v : null;
  };
  const lines: string[] = [];
  const weak = miou('eval');
  const oracle = miou('eval-oracle');
  const direct = miou('eval-direct');
  if (weak !== null) {
    lines.push(
      `val mIoU ${formatPercent(weak)}${oracle !== null ? `; the same network on ground-truth cues (oracle): ${formatPercent(oracle)}, so ${formatPercent(weak / oracle)} of full supervision` : ''}`,
    );
  }
  if (direct !== null) lines.push(`without joint training (Algorithm 1 on val, Table 4): ${formatPercent(direct)}`);
  const report = outcomes.find((o) => o.stage === 'report');
  const artifact = report ? join(store.artifactDir('report', report.key), 'report.html') : null;
  // the page with this run's facts (computed or cached, times); the artifact holds results only
  if (runPage) lines.push(`report: ${runPage}`, `  (results only, as the report stage committed it: ${artifact})`);
  else if (artifact) lines.push(`report: ${artifact}`);
  return lines;
}
