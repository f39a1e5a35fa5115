// The report page a run points its user to: the same report as the report stage's artifact, plus
// the facts of this run (computed or cached, the times, what the run log says), as `pipeline
// report` writes it. The artifact keeps results only (its bytes are a function of its key); this
// page is a run fact, written under cache/runs/ and replaced by the next run of the same name.
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pipeline } from '../dag/load.ts';
import type { StageOutcome } from '../exec/executor.ts';
import type { Store } from '../store/store.ts';
import type { ProbeSeries } from '../report/probe-curves.ts';
import { writeReport } from '../report/write-report.ts';
import { readScalars } from '../watch/event-log.ts';
import { runLogName, TENSORBOARD_DIR } from '../watch/events-dir.ts';

/** The page's path, or null when the run did not reach the report stage. */
export async function writeRunReport(p: Pipeline, store: Store, outcomes: StageOutcome[], tensorboard?: string | null): Promise<string | null> {
  const report = p.stages.get('report');
  const self = outcomes.find((o) => o.stage === 'report');
  if (!report || !self) return null;
  const artifacts: Record<string, string> = {};
  for (const [slot, stage] of Object.entries(report.inputs)) {
    const o = outcomes.find((x) => x.stage === stage);
    if (o) artifacts[slot] = store.artifactDir(stage, o.key);
  }
  const name = runLogName(
    p.profile,
    p.overrides.map((o) => o.raw),
  );
  const out = join(store.runsDir, name, 'report.html');
  const probes =
    tensorboard === null
      ? []
      : checkpointSeries(
          join(tensorboard ?? join(store.root, TENSORBOARD_DIR), name),
          outcomes.map((o) => o.stage),
        );
  const { samples, maxSide } = report.params;
  // whole or not at all: a browser left open on the last run's page reloads a complete one
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await writeReport({
      artifacts,
      stages: report.inputs,
      cacheRoot: store.root,
      samples: numberParam(samples),
      maxSide: numberParam(maxSide),
      self: { stage: 'report', key: self.key },
      probes,
      out: tmp,
    });
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return out;
}

/** The val measures the run's trainings logged at their checkpoints (lib/work/checkpoint-probe.ts). */
function checkpointSeries(logRoot: string, stages: string[]): ProbeSeries[] {
  return stages.flatMap((stage) => {
    const lines = readScalars(join(logRoot, stage)).filter((l) => l.tag.startsWith('val/'));
    return [...new Set(lines.map((l) => l.tag))].map((tag) => ({
      stage,
      tag,
      points: lines.filter((l) => l.tag === tag).map((l): [number, number] => [l.step, l.value]),
    }));
  });
}

/** a report param as the report stage's schema left it: a number or absent */
const numberParam = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
