/**
 * The demo's Black Friday morning, as the events AWS and the business would really send (same shapes as
 * test/fixtures/events/, which come from the AWS documentation):
 *
 *   09:30  traffic ~1000 rps; the metrics publisher sends a request-rate snapshot every minute, and CloudWatch
 *          holds the request rate of the week before (seeded: every morning the same shape)
 *   09:40  marketing announces a flash sale 11:00–11:45 at 6× normal demand
 *   10:05  web-prod-cpu-high → ALARM: a cache flush makes every request expensive, the request rate does not
 *          move, so only the alarm sees it; OK at 10:09 once the added instances serve
 *   10:22  (no event) the web fleet is pre-warmed on the forecast: every day at 10:30 the daily-deals email
 *          goes out and the request rate more than doubles for ~20 minutes; 7 days of history say so
 *   10:31  api-use1-5xx → ALARM: us-east-1 is drained from api.example.com; OK at 10:48, restored later
 *   10:45  (no event) the web fleet is pre-warmed one lead time before the sale; checkout at 10:50
 *   11:00  the sale: ~5000 rps within two minutes, decaying
 *   11:12  finance caps spend at $1.50/h until 12:15: the web fleet is cut to what the budget buys
 *   12:08  CloudWatch trouble: both CPU alarms go INSUFFICIENT_DATA and the snapshots stop; ten minutes
 *          later every telemetry driver of web-asg is stale and the fallback allocation takes over
 *   12:40  telemetry is back
 *   13:00  end
 *
 * Pure data: no clock, no I/O. Times are epoch seconds on 2026-11-27 (UTC).
 */
import { createHash } from 'node:crypto';
import { DETAIL_TYPES } from '../../functions/contracts';
import type { ReasonCode } from '../../functions/domain/model';

export const DEMO_DAY = Date.parse('2026-11-27T00:00:00Z') / 1000;
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

export const at = (hh: number, mm = 0, ss = 0): number => DEMO_DAY + hh * 3600 + mm * 60 + ss;

export const SCENARIO = {
  start: at(9, 30),
  end: at(13, 0),
  tickSeconds: 60,
  saleStart: at(11, 0),
  saleEnd: at(11, 45),
  budgetStart: at(11, 12),
  budgetEnd: at(12, 15),
  outageStart: at(12, 8),
  outageEnd: at(12, 40),
  /** The daily-deals email: every day at 10:30 (what the forecast learns from the history). */
  dailyEmail: at(10, 30),
  /** Days of request-rate history CloudWatch holds before the demo starts: the forecast's longest season. */
  historyDays: 7,
} as const;

/** What the demo needs from the config it runs on (the embedded drivetrain.config.yaml has all of it). */
export const REQUIRED = {
  targets: { 'web-asg': 'ec2-asg', 'checkout-fn': 'lambda-provisioned-concurrency', 'api-routing': 'route53-weighted' },
  alarms: ['web-prod-cpu-high', 'web-prod-cpu-low', 'api-use1-5xx', 'api-euw1-5xx'],
  drivers: { requests: 'metric', 'flash-sale': 'business', 'cost-budget': 'business' },
} as const;

/** How busy each of the 7 days before the demo was, relative to the demo day (yesterday first). */
const DAY_LEVELS = [0.97, 1.04, 0.95, 1.02, 1.05, 0.98, 1.01];
const EMAIL_MINUTE = (SCENARIO.dailyEmail - DEMO_DAY) / 60;

/**
 * The shop's ordinary traffic at `t`, on the demo day or any day before it: the morning ramp, a deterministic
 * minute wobble (so the line looks like traffic, not a ruler) and the daily-deals email, scaled by the day's level.
 */
export function ordinaryLoad(t: number): number {
  const absolute = Math.floor((t - DEMO_DAY) / 60);
  const day = Math.floor(absolute / 1440);
  const minute = absolute - day * 1440;
  const level = day >= 0 ? 1 : (DAY_LEVELS[(-day - 1) % DAY_LEVELS.length] ?? 1);
  const wobble = ((((absolute * 37) % 11) + 11) % 11) * 9 - 45;
  const since = minute - EMAIL_MINUTE;
  // The email: the rate climbs over 3 minutes, holds ~8 and fades with an 8-minute time constant.
  const email =
    since >= 0 && since < 30 ? 1300 * Math.min(1, (since + 1) / 3) * Math.exp(-Math.max(0, since - 8) / 8) : 0;
  return Math.max(300, (900 + (minute - 570) * 0.8 + email) * level + wobble);
}

/** Requests per second on the web fleet at `t` (the load the snapshots report and the report charts). */
export function demoLoad(t: number): number {
  let load = ordinaryLoad(t);
  if (t >= SCENARIO.saleStart && t < SCENARIO.saleEnd) {
    const m = (t - SCENARIO.saleStart) / 60;
    load += 4100 * Math.min(1, (m + 1) / 2) * (0.4 + 0.6 * Math.exp(-m / 15));
  } else if (t >= SCENARIO.saleEnd && t < SCENARIO.saleEnd + 1200) {
    const m = (t - SCENARIO.saleEnd) / 60;
    load += 4100 * (0.4 + 0.6 * Math.exp(-3)) * Math.exp(-m / 4);
  }
  return Math.round(Math.max(0, load));
}

export interface ScenarioEvent {
  at: number;
  /** One line for the terminal while the demo runs; metric snapshots have none (they are every minute). */
  narration?: string;
  event: Record<string, unknown>;
}

/** Stable UUID-shaped ids, so two runs of the demo send the same events. */
function eventId(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CloudWatch's own timestamp style: milliseconds and a +0000 offset without a colon. */
function cloudWatchTime(t: number): string {
  return new Date(t * 1000).toISOString().replace('Z', '+0000');
}

function envelope(
  detailType: string,
  source: string,
  t: number,
  detail: unknown,
  resources: string[] = [],
): Record<string, unknown> {
  return {
    version: '0',
    id: eventId(`${detailType}|${source}|${t}|${JSON.stringify(detail)}`),
    'detail-type': detailType,
    source,
    account: ACCOUNT,
    time: iso(t),
    region: REGION,
    resources,
    detail,
  };
}

export function scheduledEvent(t: number): Record<string, unknown> {
  return envelope('Scheduled Event', 'aws.events', t, {}, [`arn:aws:events:${REGION}:${ACCOUNT}:rule/drivetrain-tick`]);
}

const ALARM_METRICS: Record<
  string,
  {
    namespace: string;
    name: string;
    dimensions: Record<string, string>;
    threshold: number;
    stat: string;
    comparison: string;
  }
> = {
  'web-prod-cpu-high': {
    namespace: 'AWS/EC2',
    name: 'CPUUtilization',
    dimensions: { AutoScalingGroupName: 'web-prod' },
    threshold: 70,
    stat: 'Average',
    comparison: 'greater than',
  },
  'web-prod-cpu-low': {
    namespace: 'AWS/EC2',
    name: 'CPUUtilization',
    dimensions: { AutoScalingGroupName: 'web-prod' },
    threshold: 25,
    stat: 'Average',
    comparison: 'less than',
  },
  'api-use1-5xx': {
    namespace: 'AWS/ApplicationELB',
    name: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: 'app/api-use1/50dc6c495c0c9188' },
    threshold: 50,
    stat: 'Sum',
    comparison: 'greater than',
  },
  'api-euw1-5xx': {
    namespace: 'AWS/ApplicationELB',
    name: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: 'app/api-euw1/6f3a2b1c0d9e8f7a' },
    threshold: 50,
    stat: 'Sum',
    comparison: 'greater than',
  },
};

type AlarmValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** "CloudWatch Alarm State Change" exactly as EventBridge delivers it for a single-metric alarm. */
export function alarmStateChange(
  alarmName: string,
  t: number,
  value: AlarmValue,
  previous: AlarmValue,
  datapoint?: number,
): Record<string, unknown> {
  const metric = ALARM_METRICS[alarmName];
  if (!metric) throw new Error(`no metric known for alarm ${alarmName}`);
  const state = (v: AlarmValue, when: number, point: number | undefined) => {
    const start = when - 60 - (when % 60);
    const reasonData = JSON.stringify({
      version: '1.0',
      queryDate: cloudWatchTime(when),
      startDate: cloudWatchTime(start),
      statistic: metric.stat,
      period: 60,
      recentDatapoints: point === undefined ? [] : [point],
      threshold: metric.threshold,
      ...(point === undefined ? { evaluatedDatapoints: [{ timestamp: cloudWatchTime(start), value: null }] } : {}),
    });
    const reason =
      v === 'INSUFFICIENT_DATA'
        ? `Insufficient Data: 1 datapoint was unknown.`
        : `Threshold Crossed: 1 out of the last 1 datapoints [${point} (${new Date(start * 1000).toISOString().slice(0, 16)})] was ${v === 'ALARM' ? '' : 'not '}${metric.comparison} the threshold (${metric.threshold}) (minimum 1 datapoint for ${v === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK'} transition).`;
    return { reason, reasonData, timestamp: cloudWatchTime(when), value: v };
  };
  return envelope(
    DETAIL_TYPES.alarmStateChange,
    'aws.cloudwatch',
    t,
    {
      alarmName,
      configuration: {
        description: `${alarmName} (Drivetrain demo)`,
        metrics: [
          {
            id: eventId(alarmName).slice(0, 36),
            metricStat: {
              metric: { dimensions: metric.dimensions, name: metric.name, namespace: metric.namespace },
              period: 60,
              stat: metric.stat,
            },
            returnData: true,
          },
        ],
      },
      previousState: state(
        previous,
        t - 3600,
        previous === 'INSUFFICIENT_DATA' ? undefined : metric.threshold * (previous === 'ALARM' ? 1.2 : 0.8),
      ),
      state: state(value, t, value === 'INSUFFICIENT_DATA' ? undefined : datapoint),
    },
    [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`],
  );
}

/** "Drivetrain Metric Snapshot": the value of the minute that just ended, sent 5 s after it. */
export function metricSnapshot(minuteEnd: number): Record<string, unknown> {
  return envelope(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', minuteEnd + 5, {
    driver: 'requests',
    value: demoLoad(minuteEnd - 60),
    unit: 'Count/Second',
    timestamp: iso(minuteEnd),
  });
}

export function businessDriver(source: string, t: number, detail: Record<string, unknown>): Record<string, unknown> {
  return envelope(DETAIL_TYPES.businessDriver, source, t, detail);
}

export function scenarioEvents(): ScenarioEvent[] {
  const events: ScenarioEvent[] = [
    // Before the first tick: the alarms' current states (as after a deploy) and the last minute's snapshot.
    ...['web-prod-cpu-high', 'web-prod-cpu-low', 'api-use1-5xx', 'api-euw1-5xx'].map((alarm, i) => ({
      at: SCENARIO.start - 50 + i,
      event: alarmStateChange(
        alarm,
        SCENARIO.start - 50 + i,
        'OK',
        'INSUFFICIENT_DATA',
        alarm.includes('cpu') ? 45 : 3,
      ),
    })),
    {
      at: at(9, 40),
      narration: 'marketing announces a flash sale 11:00–11:45 at 6× normal demand',
      event: businessDriver('com.acme.marketing', at(9, 40), {
        driver: 'flash-sale',
        id: 'black-friday-2026/noon-flash-sale',
        label: 'Black Friday noon flash sale',
        signal: {
          type: 'demand',
          demand: { multiplier: 6 },
          windowStart: iso(SCENARIO.saleStart),
          windowEnd: iso(SCENARIO.saleEnd),
        },
      }),
    },
    {
      at: at(10, 5, 40),
      narration: 'CloudWatch: web-prod-cpu-high → ALARM (CPU 83% after a cache flush; request rate unchanged)',
      event: alarmStateChange('web-prod-cpu-high', at(10, 5, 40), 'ALARM', 'OK', 83.4),
    },
    {
      at: at(10, 9, 40),
      narration: 'CloudWatch: web-prod-cpu-high → OK (the added instances serve)',
      event: alarmStateChange('web-prod-cpu-high', at(10, 9, 40), 'OK', 'ALARM', 58.1),
    },
    {
      at: at(10, 31, 20),
      narration: 'CloudWatch: api-use1-5xx → ALARM (us-east-1 returns 5xx)',
      event: alarmStateChange('api-use1-5xx', at(10, 31, 20), 'ALARM', 'OK', 412),
    },
    {
      at: at(10, 48, 20),
      narration: 'CloudWatch: api-use1-5xx → OK',
      event: alarmStateChange('api-use1-5xx', at(10, 48, 20), 'OK', 'ALARM', 4),
    },
    {
      at: SCENARIO.budgetStart,
      narration: 'finance caps web spend at $1.50/h until 12:15',
      event: businessDriver('com.acme.finance', SCENARIO.budgetStart, {
        driver: 'cost-budget',
        id: 'black-friday-2026/spend-cap',
        label: 'Finance: Black Friday spend cap',
        signal: {
          type: 'budget',
          maxHourlyCost: 1.5,
          windowStart: iso(SCENARIO.budgetStart),
          windowEnd: iso(SCENARIO.budgetEnd),
        },
      }),
    },
    {
      at: at(12, 8, 30),
      narration: 'CloudWatch trouble: CPU alarms → INSUFFICIENT_DATA, request snapshots stop',
      event: alarmStateChange('web-prod-cpu-high', at(12, 8, 30), 'INSUFFICIENT_DATA', 'OK'),
    },
    { at: at(12, 8, 31), event: alarmStateChange('web-prod-cpu-low', at(12, 8, 31), 'INSUFFICIENT_DATA', 'OK') },
    {
      at: at(12, 40, 30),
      narration: 'CloudWatch recovers: CPU alarms → OK, snapshots resume',
      event: alarmStateChange('web-prod-cpu-high', at(12, 40, 30), 'OK', 'INSUFFICIENT_DATA', 41),
    },
    { at: at(12, 40, 31), event: alarmStateChange('web-prod-cpu-low', at(12, 40, 31), 'OK', 'INSUFFICIENT_DATA', 41) },
  ];
  for (let minuteEnd = SCENARIO.start - 60; minuteEnd < SCENARIO.end; minuteEnd += 60) {
    if (minuteEnd > SCENARIO.outageStart && minuteEnd <= SCENARIO.outageEnd) continue; // the publisher is down
    events.push({ at: minuteEnd + 5, event: metricSnapshot(minuteEnd) });
  }
  return events.sort((a, b) => a.at - b.at);
}

/**
 * The request rate CloudWatch holds from before the demo (what GetMetricData would return): one datapoint per
 * minute over the forecast's longest season plus the hours it reads beyond it, up to the minute the demo's
 * first snapshot describes (from then on the snapshots themselves are the history).
 */
export function seededHistory(): Array<{ periodStart: number; value: number }> {
  const end = SCENARIO.start - 120;
  const out: Array<{ periodStart: number; value: number }> = [];
  for (let t = end - SCENARIO.historyDays * 86400 - 7 * 3600; t < end; t += 60)
    out.push({ periodStart: t, value: Math.round(ordinaryLoad(t)) });
  return out;
}

export interface Beat {
  name: string;
  targetId: string;
  reason: ReasonCode;
  /** The beat only counts inside [after, before) (a pre-warm after the sale opened is no pre-warm). */
  before?: number;
  after?: number;
}

/** What the demo must show; the demo test and the end-of-run summary check each against the audit trail. */
export const BEATS: Beat[] = [
  { name: 'pre-warm before the sale', targetId: 'web-asg', reason: 'business-lead-time', before: SCENARIO.saleStart },
  {
    name: 'checkout concurrency pre-warmed',
    targetId: 'checkout-fn',
    reason: 'business-lead-time',
    before: SCENARIO.saleStart,
  },
  {
    name: 'forecast pre-warm before the daily email',
    targetId: 'web-asg',
    reason: 'forecast',
    after: SCENARIO.dailyEmail - 900,
    before: SCENARIO.dailyEmail,
  },
  { name: 'alarm scale-out', targetId: 'web-asg', reason: 'alarm-step' },
  { name: 'weights shift on region alarm', targetId: 'api-routing', reason: 'endpoint-drained' },
  { name: 'budget cap', targetId: 'web-asg', reason: 'budget-capped' },
  {
    name: 'fallback on stale drivers',
    targetId: 'web-asg',
    reason: 'fallback-stale-drivers',
    after: SCENARIO.outageStart,
    before: SCENARIO.outageEnd,
  },
];
