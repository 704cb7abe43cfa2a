/**
 * The self-contained HTML report of a demo run or a replay: demand vs capacity per capacity target with
 * every decision marked and business windows shaded, Route 53 weights over time, metrics tables, and the
 * decision table (newest last). One file, inline SVG and CSS, no scripts: it opens from disk in any browser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { budgetCapacity } from '../../functions/domain/engine';
import type { DrivetrainConfig } from '../../functions/domain/config';
import type { Driver, Target } from '../../functions/domain/model';
import type { ReplayReport } from '../replay';
import { alarmEpisodes, businessBands, budgetInForce } from './episodes';
import { escapeHtml, stepChart, weightsChart, type ChartBand, type ChartMarker, type StepSeries } from './svg';

export type { BandKind, ChartBand, ChartMarker, MarkerKind } from './svg';
export { alarmEpisodes, alarmEpisodesFromDecisions, businessBands, budgetInForce } from './episodes';

export interface CapacityPanel {
  targetId: string;
  title: string;
  /** What a unit is: instances, concurrency. */
  unit: string;
  samples: ReadonlyArray<CapacitySample>;
  markers: ChartMarker[];
  bands?: ChartBand[];
  /** With a unit price (policy.budget): a cost chart, allocation × price, with the budget in force. */
  cost?: { unitHourlyPrice: number; policy: Pick<Target['policy'], 'budget'> };
}

export interface CapacitySample {
  t: number;
  demand?: number;
  desired?: number;
  floor?: number;
  supply?: number;
  /** The hourly budget in force at `t` (the policy's cap or a lower budget driver), for the cost chart. */
  budget?: number;
}

export interface WeightsPanel {
  targetId: string;
  title: string;
  samples: ReadonlyArray<{ t: number; weights: Record<string, number> }>;
  markers: ChartMarker[];
  bands?: ChartBand[];
}

export interface DecisionRow {
  at: number;
  targetId: string;
  status: string;
  summary: string;
  /** What `drivetrain explain` takes (deployments and the demo; a replay's decisions are not stored). */
  decisionId?: string;
  /** False for a hold (nothing to change): hidden unless the reader asks for them. */
  change: boolean;
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: string[][];
  /** Free text under the table (what the columns mean, goals met). */
  notes?: string[];
}

export interface ReportData {
  title: string;
  subtitle?: string;
  /** Epoch seconds; passed in so the renderer stays deterministic. */
  generatedAt: number;
  start: number;
  end: number;
  facts?: Array<{ label: string; value: string }>;
  capacity: CapacityPanel[];
  weights: WeightsPanel[];
  tables?: ReportTable[];
  decisions: DecisionRow[];
}

const COLORS = { demand: '#d9534f', supply: '#1f6fb2', desired: '#6f42c1', floor: '#2e8b57' };
const WEIGHT_COLORS = ['#1f6fb2', '#f0a202', '#2e8b57', '#d9534f', '#6f42c1', '#17a2b8'];

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232a; margin: 0; background: #f5f6f8; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.subtitle { color: #5b6673; margin: 0 0 16px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0 8px; padding: 0; list-style: none; }
.facts li { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 6px 10px; }
.facts b { display: block; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #5b6673; font-weight: 600; }
section.panel { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 12px 14px; margin: 12px 0; }
section.panel h3 { font-size: 15px; margin: 0 0 4px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: #e7eaee; stroke-width: 1; }
svg .axis { stroke: #8a949e; stroke-width: 1; }
svg .tick, svg .legend, svg .axis-label { font: 11px system-ui, sans-serif; fill: #5b6673; }
svg .band rect, .band-window rect { fill: #f0a202; fill-opacity: .12; }
svg .band text { font: 11px system-ui, sans-serif; fill: #8a5a00; }
svg .band-alarm rect, .band-alarm rect { fill: #d9534f; fill-opacity: .10; }
svg .band-alarm text { fill: #a12622; }
svg .band-budget rect, .band-budget rect { fill: #2e8b57; fill-opacity: .10; }
svg .band-budget text { fill: #1e6b3a; }
svg .band-outage rect, .band-outage rect { fill: #8a949e; fill-opacity: .16; }
svg .band-outage text { fill: #4b5560; }
ul.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 4px 0 0; padding: 0 0 0 48px; font-size: 12px; color: #5b6673; }
ul.legend li { display: inline-flex; align-items: center; gap: 5px; }
.marker-up path { fill: #1f6fb2; } .marker-down path { fill: #2e8b57; } .marker-routing path { fill: #f0a202; }
.marker-other path { fill: #6f42c1; } .marker-failed path { fill: #d9534f; }
h4.cost { font-size: 13px; margin: 10px 0 2px; color: #5b6673; font-weight: 600; }
#show-holds { margin: 0 6px 8px 0; }
#show-holds:not(:checked) ~ table.decisions tr.hold { display: none; }
table.decisions tr.hold td { color: #8a949e; }
td code { font-size: 12px; }
svg .marker line { stroke: #8a949e; stroke-width: 1; stroke-dasharray: 2 3; opacity: .55; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #dde1e6; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { background: #f0f2f5; font-size: 12px; letter-spacing: .02em; color: #5b6673; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; color: #5b6673; }
.status { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; }
.status-applied { background: #e3f1e8; color: #1e6b3a; } .status-failed { background: #fbe4e4; color: #a12622; }
.status-shadow, .status-paused, .status-skipped, .status-planned, .status-superseded { background: #eceff3; color: #4b5560; }
.notes { color: #5b6673; margin: 6px 0 0; padding-left: 18px; }
footer { color: #8a949e; margin-top: 28px; font-size: 12px; }
`;

function utc(t: number): string {
  return new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

const COST_COLORS = { cost: '#b8860b', budget: '#d9534f' };

function capacitySeries(panel: CapacityPanel): StepSeries[] {
  const series: StepSeries[] = [];
  if (panel.samples.some((s) => s.demand !== undefined))
    series.push({
      name: 'demand (units needed)',
      color: COLORS.demand,
      style: 'area',
      points: panel.samples.map((s) => ({ t: s.t, v: s.demand })),
    });
  series.push({
    name: 'desired',
    color: COLORS.desired,
    style: 'dashed',
    points: panel.samples.map((s) => ({ t: s.t, v: s.desired })),
  });
  if (panel.samples.some((s) => s.supply !== undefined))
    series.push({ name: 'serving', color: COLORS.supply, points: panel.samples.map((s) => ({ t: s.t, v: s.supply })) });
  if (panel.samples.some((s) => (s.floor ?? 0) > 0))
    series.push({
      name: 'floor',
      color: COLORS.floor,
      style: 'dotted',
      points: panel.samples.map((s) => ({ t: s.t, v: s.floor })),
    });
  return series;
}

/** Allocation × unit price against the budget in force; the title says where the policy's own cap binds. */
function costChart(panel: CapacityPanel, frame: { start: number; end: number }): string {
  if (!panel.cost) return '';
  const { unitHourlyPrice, policy } = panel.cost;
  const binds = budgetCapacity(policy as Target['policy'], policy.budget?.maxHourlyCost);
  const title = `hourly cost at ${unitHourlyPrice}/unit-h${binds !== undefined ? ` (the policy's budget binds at ${binds})` : ''}`;
  const series: StepSeries[] = [
    {
      name: 'hourly cost',
      color: COST_COLORS.cost,
      points: panel.samples.map((s) => ({
        t: s.t,
        v: s.desired === undefined ? undefined : Number((s.desired * unitHourlyPrice).toFixed(4)),
      })),
    },
  ];
  if (panel.samples.some((s) => s.budget !== undefined))
    series.push({
      name: 'budget cap',
      color: COST_COLORS.budget,
      style: 'dotted',
      points: panel.samples.map((s) => ({ t: s.t, v: s.budget })),
    });
  return `<h4 class="cost">${escapeHtml(title)}</h4>${stepChart({
    id: `cost-${panel.targetId}`,
    title: `${panel.targetId} — ${title}`,
    yLabel: 'per hour',
    frame: { ...frame, height: 200 },
    series,
    bands: (panel.bands ?? []).filter((b) => b.kind === 'budget'),
  })}`;
}

function capacitySection(panel: CapacityPanel, frame: { start: number; end: number }): string {
  const chart = stepChart({
    id: `capacity-${panel.targetId}`,
    title: panel.title,
    yLabel: panel.unit,
    frame,
    series: capacitySeries(panel),
    markers: panel.markers,
    bands: panel.bands ?? [],
  });
  return `<section class="panel" data-target="${escapeHtml(panel.targetId)}"><h3>${escapeHtml(panel.title)}</h3>${chart}${costChart(panel, frame)}</section>`;
}

function decisionsSection(decisions: readonly DecisionRow[]): string {
  const holds = decisions.filter((d) => !d.change).length;
  const rows = decisions
    .map(
      (d) =>
        `<tr class="${d.change ? 'change' : 'hold'}"><td class="time">${utc(d.at)}</td><td>${d.decisionId ? `<code>${escapeHtml(d.decisionId)}</code>` : '—'}</td><td>${escapeHtml(d.targetId)}</td><td><span class="status status-${escapeHtml(d.status)}">${escapeHtml(d.status)}</span></td><td>${escapeHtml(d.summary)}</td></tr>`,
    )
    .join('');
  // A checkbox and a sibling selector: the holds toggle works without a script (the report has none).
  const toggle = holds
    ? `<input type="checkbox" id="show-holds"><label for="show-holds">show the ${holds} hold${holds === 1 ? '' : 's'} (no change)</label>`
    : '';
  return `<h2>Decisions (${decisions.length - holds} changes${holds ? `, ${holds} holds` : ''}, newest last)</h2>
${toggle}
<table class="decisions"><thead><tr><th>time (UTC)</th><th>decision</th><th>target</th><th>status</th><th>summary</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderReport(data: ReportData): string {
  const frame = { start: data.start, end: data.end };
  const facts = data.facts?.length
    ? `<ul class="facts">${data.facts.map((f) => `<li><b>${escapeHtml(f.label)}</b>${escapeHtml(f.value)}</li>`).join('')}</ul>`
    : '';
  const capacity = data.capacity.map((panel) => capacitySection(panel, frame)).join('');
  const weights = data.weights
    .map(
      (panel) =>
        `<section class="panel" data-target="${escapeHtml(panel.targetId)}"><h3>${escapeHtml(panel.title)}</h3>${weightsChart(
          {
            id: `weights-${panel.targetId}`,
            title: panel.title,
            frame,
            points: panel.samples,
            colors: WEIGHT_COLORS,
            markers: panel.markers,
            bands: panel.bands ?? [],
          },
        )}</section>`,
    )
    .join('');
  const tables = (data.tables ?? [])
    .map((table) => {
      const numeric = table.columns.map(
        (_, i) => i > 0 && table.rows.every((r) => /^[-+]?[\d.,$%]+$/.test(r[i] ?? '')),
      );
      const head = table.columns.map((c, i) => `<th${numeric[i] ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('');
      const body = table.rows
        .map(
          (r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`,
        )
        .join('');
      const notes = table.notes?.length
        ? `<ul class="notes">${table.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`
        : '';
      return `<h2>${escapeHtml(table.title)}</h2><table class="metrics"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${notes}`;
    })
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(data.title)}</h1>
${data.subtitle ? `<p class="subtitle">${escapeHtml(data.subtitle)}</p>` : ''}
${facts}
${capacity ? `<h2>Demand and capacity</h2>${capacity}` : ''}
${weights ? `<h2>Route 53 weights</h2>${weights}` : ''}
${tables}
${decisionsSection(data.decisions)}
<footer>Generated by Drivetrain at ${utc(data.generatedAt)} UTC · times are UTC · hover a marker for its decision · \
<code>drivetrain explain DECISION</code> shows the full lineage of a row.</footer>
</main>
</body>
</html>
`;
}

export function writeReport(path: string, data: ReportData): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderReport(data));
  return path;
}

export function markerKind(
  previous: number | undefined,
  next: number | undefined,
  status: string,
): ChartMarker['kind'] {
  if (status === 'failed') return 'failed';
  if (previous === undefined || next === undefined) return 'other';
  return next > previous ? 'up' : next < previous ? 'down' : 'other';
}

export interface ReplayReportOptions {
  /** Extra shaded windows (e.g. a sale); shown on every capacity panel. */
  bands?: ChartBand[];
  /** The config replayed: unit prices and budgets for the cost charts. */
  config?: Pick<DrivetrainConfig, 'targets'>;
  /** The recorded drivers replayed: alarm episodes and budget windows. */
  drivers?: readonly Driver[];
}

function replayMarkers(target: ReplayReport['targets'][number]): ChartMarker[] {
  return target.decisions.slice(1).map((d): ChartMarker => {
    const before = d.previous?.kind === 'capacity' ? d.previous.desired : undefined;
    const after = d.desired.kind === 'capacity' ? d.desired.desired : undefined;
    return {
      t: d.at,
      label: d.summary,
      kind: target.kind === 'route53-weighted' ? 'routing' : markerKind(before, after, d.status),
    };
  });
}

/** The report of a replay: one panel per target, every decision it would have made. */
export function reportFromReplay(
  replay: ReplayReport,
  generatedAt: number,
  options: ReplayReportOptions = {},
): ReportData {
  const capacity: CapacityPanel[] = [];
  const weights: WeightsPanel[] = [];
  const drivers = options.drivers ?? [];
  for (const target of replay.targets) {
    const markers = replayMarkers(target);
    if (target.kind === 'route53-weighted') {
      weights.push({
        targetId: target.targetId,
        title: `${target.targetId} — weights by endpoint`,
        samples: target.timeline.map((s) => ({ t: s.t, weights: s.weights ?? {} })),
        markers,
        bands: alarmEpisodes(drivers, target.targetId, replay.to),
      });
      continue;
    }
    const unit = target.kind === 'ec2-asg' ? 'instances' : 'provisioned concurrency';
    const policy = options.config?.targets.find((t) => t.id === target.targetId)?.policy;
    capacity.push({
      targetId: target.targetId,
      title: `${target.targetId} — ${unit}`,
      unit,
      samples: target.timeline.map((s) => ({
        ...s,
        ...(policy?.budget ? { budget: budgetInForce(policy, drivers, target.targetId, s.t) } : {}),
      })),
      markers,
      bands: [
        ...(options.bands ?? []),
        ...businessBands(drivers, target.targetId),
        ...alarmEpisodes(drivers, target.targetId, replay.to),
      ],
      ...(policy?.budget ? { cost: { unitHourlyPrice: policy.budget.unitHourlyPrice, policy } } : {}),
    });
  }
  return {
    title: `Replay of ${replay.configFile.split('/').pop()}`,
    subtitle: `${utc(replay.from)} → ${utc(replay.to)} UTC, ${replay.evaluations} evaluations${replay.modesForced ? ', every target evaluated as enforced' : ''}`,
    generatedAt,
    start: replay.from,
    end: replay.to,
    facts: replay.targets.map((t) => ({
      label: t.targetId,
      value: `${t.changes} changes${t.capacityHours !== undefined ? `, ${t.capacityHours.toFixed(1)} unit-h` : ''}${t.cost !== undefined ? `, cost ${t.cost.toFixed(2)}` : ''}`,
    })),
    capacity,
    weights,
    // A replay keeps only the decisions that changed (or tried to change) an allocation; holds are counted.
    decisions: replay.targets
      .flatMap((t) =>
        t.decisions.map((d) => ({
          at: d.at,
          targetId: d.targetId,
          status: d.status,
          summary: d.summary,
          change: true,
        })),
      )
      .sort((a, b) => a.at - b.at || a.targetId.localeCompare(b.targetId)),
  };
}
