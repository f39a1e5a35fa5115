// The page shell: one <style> block, no scripts, no external resources (fonts are the system's).
import { viridisGradientCss } from './colour.ts';
import { esc } from './html.ts';

export interface Section {
  id: string;
  title: string;
  html: string;
}

const CSS = `
:root { --tile: 124px; --ink: #1a202c; --muted: #5a6475; --line: #dde3ea; --accent: #3f63a8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f6f7f9; }
header { background: #1f2a3c; color: #fff; padding: 18px 28px 14px; }
header h1 { margin: 0 0 4px; font-size: 21px; font-weight: 650; }
header .sub { color: #c9d3e3; font-size: 13px; }
nav { display: flex; gap: 16px; padding: 8px 28px; background: #fff; border-bottom: 1px solid var(--line); font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 20px 18px; margin: 16px 0; }
h2 { font-size: 17px; margin: 2px 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; color: #2d3748; }
p.cap { color: var(--muted); font-size: 12.5px; margin: 4px 0 10px; max-width: 1000px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; background: #fbfcfd; }
.kpi b { display: block; font-size: 22px; font-weight: 650; }
.kpi span { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right; vertical-align: top; }
th { background: #f1f4f8; font-weight: 600; white-space: nowrap; }
td:first-child, th:first-child { text-align: left; }
abbr { text-decoration: underline dotted; cursor: help; }
table.stages td, table.stages th { text-align: left; }
table.stages td:first-child { white-space: nowrap; }
.nw { white-space: nowrap; }
.kv { display: inline-block; margin-right: 10px; }
table.sweep td:has(> code.param) { text-align: left; }
table.stages td.params { font: 11px/1.5 ui-monospace, Menlo, Consolas, monospace; color: #334; max-width: 520px; overflow-wrap: anywhere; }
table.stages code { font-size: 11.5px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 11px; border: 1px solid; }
.dag-wrap { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.dag-wrap svg.dag { flex: none; max-width: 100%; height: auto; }
.dag-wrap table { flex: 1 1 760px; }
.grid2 { display: flex; flex-wrap: wrap; gap: 10px 36px; align-items: flex-start; }
table.iou td { padding: 2px 10px; }
table.iou td:last-child { min-width: 170px; }
.bar { display: inline-block; width: 100px; height: 8px; background: #edf0f4; border-radius: 4px; margin-left: 8px; vertical-align: middle; overflow: hidden; }
.bar i { display: block; height: 100%; background: var(--accent); }
.n { display: inline-block; min-width: 34px; }
.sw { display: inline-flex; align-items: center; gap: 4px; margin-right: 10px; white-space: nowrap; font-size: 12px; }
.sw i { width: 11px; height: 11px; border: 1px solid rgba(0,0,0,.35); display: inline-block; border-radius: 2px; }
.fig-row { border-top: 1px solid var(--line); padding: 10px 0 8px; }
.fig-head { display: flex; gap: 14px; align-items: baseline; margin-bottom: 6px; font-size: 13px; flex-wrap: wrap; }
.fig-head .note { color: var(--muted); font-size: 12px; }
.tiles { display: flex; flex-wrap: wrap; gap: 6px; }
figure.tile { margin: 0; text-align: center; }
figure.tile img { height: var(--tile); width: auto; display: block; border-radius: 2px; background: #eee; }
figure.tile.labels img, figure.tile.heat img { image-rendering: pixelated; }
figure.tile figcaption { font-size: 12px; color: #2d3748; margin-top: 2px; }
figure.tile.empty .blank { height: var(--tile); width: var(--tile); display: flex; align-items: center; justify-content: center; color: #999; font-size: 11px; border: 1px dashed #ccc; border-radius: 2px; }
.legend { margin-top: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); column-gap: 28px; --tile: 100px; }
.cards .tiles { flex-wrap: nowrap; overflow-x: auto; }
.colourbar { display: inline-flex; align-items: center; gap: 8px; font-size: 12px; color: var(--muted); }
.colourbar i { display: inline-block; width: 160px; height: 10px; border-radius: 2px; background: ${viridisGradientCss()}; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 24px; }
svg.chart { background: #fff; max-width: 100%; height: auto; }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 24px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
`;

export function page(title: string, subtitle: string, sections: Section[], footer: string): string {
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('');
  const body = sections.map((s) => `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><div class="sub">${subtitle}</div></header>
<nav>${nav}</nav>
<main>
${body}
</main>
<footer>${footer}</footer>
</body>
</html>
`;
}
