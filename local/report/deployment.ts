/**
 * The report of a window of a real deployment, from its tables. What the tables hold today: every recorded
 * decision (a change, or a hold whose explanation changed) with the drivers it considered, and the drivers
 * table's latest observation of each driver. The reader is a port so a driver-history source can be added
 * without touching the report: demand, alarm episodes and the budget are derived from whatever it returns.
 */
import type { DrivetrainConfig } from '../../functions/domain/config';
import type { Driver, Target } from '../../functions/domain/model';
import type { DecisionRecord, DecisionStore, DriverStore } from '../../functions/ports';
import { alarmEpisodesFromDecisions, businessBands, budgetInForce } from './episodes';
import { markerKind, type CapacityPanel, type ReportData, type WeightsPanel } from './index';
import type { ChartMarker } from './svg';

export interface ReportWindow {
  from: number;
  to: number;
}

/** Where a deployment report reads from: the decisions of a target in a window, and the drivers known. */
export interface ReportHistorySource {
  /** Oldest first, `from` ≤ at ≤ `to`. */
  decisions(targetId: string, window: ReportWindow): Promise<DecisionRecord[]>;
  /** Driver observations that may matter to the window (budget drivers at least); may include older ones. */
  drivers(targetId: string, window: ReportWindow): Promise<Driver[]>;
}

/** The decisions store's own ceiling per query; a report of a busier window says it is truncated. */
export const MAX_REPORT_DECISIONS = 1000;

export function storeHistorySource(decisions: DecisionStore, drivers: DriverStore): ReportHistorySource {
  return {
    async decisions(targetId, window) {
      const newestFirst = await decisions.list(targetId, { since: window.from, limit: MAX_REPORT_DECISIONS });
      return newestFirst.filter((d) => d.at <= window.to).sort((a, b) => a.at - b.at || a.version - b.version);
    },
    drivers: (targetId) => drivers.all(targetId),
  };
}

function isChange(d: DecisionRecord): boolean {
  return d.actions.length > 0 || d.status === 'failed';
}

function markers(target: Target, decisions: readonly DecisionRecord[]): ChartMarker[] {
  return decisions.filter(isChange).map((d) => ({
    t: d.at,
    label: `${d.decisionId} ${d.status}: ${d.summary}`,
    kind:
      target.kind === 'route53-weighted'
        ? 'routing'
        : markerKind(
            d.current?.kind === 'capacity' ? d.current.desired : undefined,
            d.desired.kind === 'capacity' ? d.desired.desired : undefined,
            d.status,
          ),
  }));
}

/** Demand as the metric rules asked for it (the largest used metric driver's allocation), when one did. */
function metricDemand(d: DecisionRecord): number | undefined {
  const asked = d.considered
    .filter((c) => c.kind === 'metric' && (c.outcome === 'used' || c.outcome === 'won') && c.demand !== undefined)
    .map((c) => c.demand!);
  return asked.length ? Math.max(...asked) : undefined;
}

function capacityPanel(
  target: Target,
  decisions: readonly DecisionRecord[],
  drivers: readonly Driver[],
  window: ReportWindow,
): CapacityPanel {
  const unit = target.kind === 'ec2-asg' ? 'instances' : 'provisioned concurrency';
  const first = decisions[0];
  const budget = (t: number) =>
    target.policy.budget ? { budget: budgetInForce(target.policy, drivers, target.id, t) } : {};
  const samples = [
    // What was in place when the window opened: the first decision's starting point.
    ...(first?.current?.kind === 'capacity'
      ? [{ t: window.from, desired: first.current.desired, floor: first.current.floor, ...budget(window.from) }]
      : []),
    ...decisions.flatMap((d) =>
      d.desired.kind === 'capacity'
        ? [{ t: d.at, desired: d.desired.desired, floor: d.desired.floor, demand: metricDemand(d), ...budget(d.at) }]
        : [],
    ),
  ];
  return {
    targetId: target.id,
    title: `${target.id} — ${unit} (desired as decided; the tables do not record what was serving)`,
    unit,
    samples,
    markers: markers(target, decisions),
    bands: [...businessBands(drivers, target.id), ...alarmEpisodesFromDecisions(decisions, window.to)],
    ...(target.policy.budget
      ? { cost: { unitHourlyPrice: target.policy.budget.unitHourlyPrice, policy: target.policy } }
      : {}),
  };
}

function weightsPanel(target: Target, decisions: readonly DecisionRecord[], window: ReportWindow): WeightsPanel {
  const first = decisions[0];
  return {
    targetId: target.id,
    title: `${target.id} — weights by endpoint`,
    samples: [
      ...(first?.current?.kind === 'weights' ? [{ t: window.from, weights: first.current.weights }] : []),
      ...decisions.flatMap((d) => (d.desired.kind === 'weights' ? [{ t: d.at, weights: d.desired.weights }] : [])),
    ],
    markers: markers(target, decisions),
    bands: alarmEpisodesFromDecisions(decisions, window.to),
  };
}

export async function reportFromDeployment(
  config: Pick<DrivetrainConfig, 'name'>,
  targets: readonly Target[],
  source: ReportHistorySource,
  window: ReportWindow,
  generatedAt: number,
): Promise<ReportData> {
  const capacity: CapacityPanel[] = [];
  const weights: WeightsPanel[] = [];
  const all: DecisionRecord[] = [];
  const truncated: string[] = [];
  for (const target of targets) {
    const [decisions, drivers] = await Promise.all([
      source.decisions(target.id, window),
      source.drivers(target.id, window),
    ]);
    if (decisions.length >= MAX_REPORT_DECISIONS) truncated.push(target.id);
    all.push(...decisions);
    if (target.kind === 'route53-weighted') weights.push(weightsPanel(target, decisions, window));
    else capacity.push(capacityPanel(target, decisions, drivers, window));
  }
  all.sort((a, b) => a.at - b.at || a.targetId.localeCompare(b.targetId) || a.version - b.version);
  const iso = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 16);
  return {
    title: `Drivetrain ${config.name}: ${iso(window.from)} → ${iso(window.to)} UTC`,
    subtitle:
      `From the decisions table: ${all.length} recorded decisions of ${targets.map((t) => t.id).join(', ')}` +
      (truncated.length ? ` (only the newest ${MAX_REPORT_DECISIONS} of ${truncated.join(', ')}: narrow --since)` : ''),
    generatedAt,
    start: window.from,
    end: window.to,
    facts: targets.map((t) => ({
      label: t.id,
      value: `${all.filter((d) => d.targetId === t.id && isChange(d)).length} changes`,
    })),
    capacity,
    weights,
    decisions: all.map((d) => ({
      at: d.at,
      targetId: d.targetId,
      status: d.status,
      summary: d.summary,
      decisionId: d.decisionId,
      change: isChange(d),
    })),
  };
}
