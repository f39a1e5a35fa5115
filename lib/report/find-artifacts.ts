// The artifacts a report shows: the ones given by slot, the rest found upstream of them through
// the manifests, and the run log's records of them.
import type { ItemMaps } from '../layouts/item-maps.ts';
import { Artifact } from '../store/artifact.ts';
import { readRunLog, walkLineage, type Lineage, type LineageNode, type RunRecord } from './lineage.ts';
import type { ReportOptions } from './report-options.ts';
import { REPORT_SLOTS, type ReportSlot } from './slots.ts';

/** An artifact per report slot that has one. */
export type SlotArtifacts = Partial<Record<ReportSlot, Artifact>>;

export interface ReportArtifacts {
  lineage: Lineage;
  slot: SlotArtifacts;
  runs: Map<string, RunRecord>;
}

/** The artifact dirs given by slot. */
export const artifactDirs = (opts: ReportOptions): string[] => Object.values(opts.artifacts).filter((d): d is string => Boolean(d));

/** The slots' artifacts (given, else found upstream under the stage each slot names) and the run log. */
export async function findArtifacts(opts: ReportOptions): Promise<ReportArtifacts> {
  const lineage = await walkLineage(artifactDirs(opts), opts.cacheRoot);
  const slot: SlotArtifacts = {};
  for (const s of REPORT_SLOTS) {
    const given = opts.artifacts[s];
    const stage = opts.stages?.[s];
    if (given) slot[s] = await Artifact.open(given);
    else if (stage) {
      const n = lineage.byStage(stage);
      if (n?.artifact) slot[s] = n.artifact;
    }
  }
  return { lineage, slot, runs: opts.runFacts === false ? new Map() : await readRunLog(lineage.cacheRoot) };
}

/** Ids of the first per-item array the artifact has among `names`, else `fallback`. */
export async function panelIds(art: Artifact | undefined, arrays: ItemMaps[], fallback: string[]): Promise<string[]> {
  if (!art) return fallback;
  for (const a of arrays) {
    try {
      return await a.ids(art);
    } catch {
      // not this array; try the next name
    }
  }
  return fallback;
}

export function latestRun(nodes: LineageNode[], runs: Map<string, RunRecord>): RunRecord | undefined {
  let best: RunRecord | undefined;
  for (const n of nodes) {
    const r = runs.get(n.id);
    if (r && (!best || (r.at ?? '') > (best.at ?? ''))) best = r;
  }
  return best;
}
