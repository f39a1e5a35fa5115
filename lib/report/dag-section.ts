// The report's pipeline section: the DAG drawn (dag-svg.ts) beside a table of every stage with its
// key, params and inputs, and, with run facts, its time and what the latest run did.
import { resolve } from 'node:path';
import type { Json } from '../store/canonical-json.ts';
import { dagSvg, nodeStateColours, NODE_STATE_LABEL, type DagEdge, type DagNode, type NodeState } from './dag-svg.ts';
import { artifactDirs } from './find-artifacts.ts';
import { esc, seconds, table } from './html.ts';
import { shortKey, type Lineage, type LineageNode, type RunRecord } from './lineage.ts';
import type { ReportOptions } from './report-options.ts';
import { obj } from './tables.ts';

/** A param value as a reader writes it: `[1, 0.75]`, `{train: 24, val: 12}`; strings bare at top level. */
export function formatValue(v: Json, top = true): string {
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, false)).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${formatValue(x, false)}`)
      .join(', ')}}`;
  return typeof v === 'string' && !top ? JSON.stringify(v) : String(v);
}

function formatParams(params: Json): string {
  const p = obj(params);
  const keys = Object.keys(p);
  if (!keys.length) return '<span style="color:#999">none</span>';
  return keys.map((k) => `<span class="kv">${esc(k)}=${esc(formatValue(p[k]))}</span>`).join(' ');
}

function nodeState(n: LineageNode, runs: Map<string, RunRecord>): NodeState {
  if (!n.artifact) return 'missing';
  return (runs.get(n.id)?.status as NodeState | undefined) ?? 'unknown';
}

export function dagHtml(lineage: Lineage, runs: Map<string, RunRecord>, opts: ReportOptions): string {
  const facts = opts.runFacts !== false;
  const nodes: DagNode[] = lineage.nodes.map((n) => {
    const state = nodeState(n, runs);
    const secs = n.artifact?.manifest.seconds;
    return {
      id: n.id,
      title: n.stage,
      detail: facts ? `${shortKey(n.key)}  ${seconds(secs)}` : shortKey(n.key),
      state,
      tooltip: `${n.stage} ${n.key}\n${NODE_STATE_LABEL[state]}`,
    };
  });
  const edges: DagEdge[] = lineage.nodes.flatMap((n) => Object.values(n.inputs).map((from) => ({ from, to: n.id })));
  if (opts.self) {
    const id = `${opts.self.stage}@${opts.self.key ?? 'this'}`;
    nodes.push({ id, title: opts.self.stage, detail: opts.self.key ? shortKey(opts.self.key) : '', state: 'this' });
    const given = new Set(artifactDirs(opts).map((d) => resolve(d)));
    for (const n of lineage.nodes) if (given.has(resolve(n.dir))) edges.push({ from: n.id, to: id });
  }
  const rows = lineage.nodes.map((n) => {
    const state = nodeState(n, runs);
    const c = nodeStateColours(state);
    const inputs = Object.entries(n.inputs)
      .map(([slotName, id]) => `<span class="nw">${esc(slotName)}←${esc(id.split('@')[0])}</span>`)
      .join(', ');
    return [
      `<b>${esc(n.stage)}</b>`,
      `<code title="${esc(n.key)}">${esc(shortKey(n.key))}</code>`,
      ...(facts
        ? [
            `<span class="badge" style="background:${c.fill};border-color:${c.stroke};color:${c.stroke}">${esc(NODE_STATE_LABEL[state])}</span>`,
            `<span style="white-space:nowrap">${seconds(n.artifact?.manifest.seconds)}</span>`,
            runs.get(n.id)?.where ? esc(runs.get(n.id)!.where!) : '–',
          ]
        : []),
      inputs || '–',
      `<div class="params">${n.artifact ? formatParams(n.artifact.manifest.params) : 'not in cache'}</div>`,
    ];
  });
  const head = facts ? ['stage', 'key', 'last run', 'time', 'where', 'inputs', 'params'] : ['stage', 'key', 'inputs', 'params'];
  const tableHtml = table(head, rows, 'stages').replace(/<td><div class="params">/g, '<td class="params"><div>');
  const cap =
    (facts
      ? 'Each stage with its artifact key, the time it took when it was computed, where it was computed (GPU or CPU, backend, threads), and what the latest run that reached it did (computed it, or found it in the cache). '
      : 'Each stage with its artifact key (times and cache hits are in `pipeline report`: they are facts of a run, not of the results). ') +
    'Arrows show direct dependencies only: every stage also reads the dataset (the table lists all inputs).';
  return `<p class="cap">${cap}</p><div class="dag-wrap">${dagSvg(nodes, edges)}${tableHtml}</div>`;
}
