/**
 * The demo, end to end through the real pipeline: the scenario's events go through the real ingest handler
 * (createIngestHandler, with Powertools idempotency on the local idempotency table), the minute ticks through
 * the real tick handler, decisions land in DynamoDB Local through the real stores, and the real executors act
 * on a simulated fleet. Only AWS's control plane is simulated; everything Drivetrain runs is production code.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { quietMetrics } from '../quiet-metrics';
import { parse as parseYaml } from 'yaml';
import { DETAIL_TYPES, SERVICE_NAME } from '../../functions/contracts';
import { parseConfig, type DrivetrainConfig } from '../../functions/domain/config';
import { DynamoDecisionStore, DynamoDriverStore } from '../../functions/adapters/dynamodb';
import { DynamoDeployedConfigStore } from '../../functions/adapters/dynamodb/deployed-config';
import { createExecutors } from '../../functions/executors';
import { createIngestHandler, type IngestSummary } from '../../functions/handlers/ingest';
import { createTickHandler, type TickSummary } from '../../functions/handlers/tick';
import type { Driver } from '../../functions/domain/model';
import type { DecisionRecord, DriverStore } from '../../functions/ports';
import { LOCAL_CLIENT_CONFIG } from '../dynamodb-local';
import { createLocalTables } from '../tables';
import { requiredUnits } from '../bench/metrics';
import {
  alarmEpisodes,
  budgetInForce,
  markerKind,
  writeReport,
  type ChartBand,
  type ChartMarker,
  type ReportData,
} from '../report';
import { VirtualClock } from '../simulator/clock';
import { SimulatedFleet, recordKey, type FleetCall } from '../simulator/fleet';
import { SimulatedMetricHistory } from '../simulator/metric-history';
import { simulatorModel } from '../simulator/models';
import {
  DEMO_DAY,
  LAUNCH_FAILURE,
  REQUIRED,
  demoScenario,
  scheduledEvent,
  type Beat,
  type ScenarioTimes,
} from './scenario';
import { assertNever, isRoutingKind } from '../../functions/domain/target-kinds';

export const EMBEDDED_CONFIG = resolve(__dirname, '../../drivetrain.config.yaml');
export const DEFAULT_REPORT_DIR = resolve(__dirname, '../../reports');

export interface DemoProgress {
  step: number;
  steps: number;
  at: number;
  decisions: number;
  /** One short status per target, e.g. `web-asg 24 (floor 24)`. */
  status: string[];
}

export interface DemoOptions {
  /** DynamoDB Local to use (see startDynamoDbLocal); the demo creates its own tables there. */
  dynamoDbEndpoint: string;
  configPath?: string;
  /** Default `demo-<random>`: runs never share tables. */
  tablePrefix?: string;
  reportDir?: string;
  /** File name of the report; default demo-<wall-clock timestamp>.html. */
  reportName?: string;
  /** Virtual seconds per wall-clock second; default unlimited (the scenario's 3.5 hours in seconds). */
  speed?: number;
  /** EC2 instance warmup of the simulated fleet (default 180 s). */
  instanceWarmupSeconds?: number;
  /** Provisioned concurrency IN_PROGRESS → READY (default 240 s). */
  provisionedConcurrencyReadySeconds?: number;
  onProgress?: (progress: DemoProgress) => void;
  onNarration?: (at: number, text: string) => void;
  /** Wall clock (ms) for the report name and footer, and the kept playground's ticks; injectable for tests. */
  wallClock?: () => number;
  /**
   * The scenario's day (epoch seconds at its 00:00); default 2026-11-27, which the tests pin. `npm run demo`
   * passes demoDayEndingAt(now) so the scenario ends now and a kept playground continues in real time.
   */
  day?: number;
  /** Keep the tables and the handlers for a playground that ticks on (see DemoResult.playground). */
  keep?: boolean;
}

export interface KeepTickingOptions {
  /** Real seconds between two ticks of the kept playground. */
  intervalSeconds: number;
  /** Ends the loop (Ctrl-C in `npm run demo -- --keep`). */
  signal: AbortSignal;
  onTick?: (at: number, summary: TickSummary) => void | Promise<void>;
}

/** The demo's pipeline left running: the same tick handler, on the real clock from now on. */
export interface Playground {
  /** Ticks every intervalSeconds until the signal aborts; resolves with the number of ticks. */
  keepTicking(options: KeepTickingOptions): Promise<number>;
  /** Releases the DynamoDB client (the tables stay). */
  close(): void;
}

export interface BeatResult extends Beat {
  decision: DecisionRecord | undefined;
}

export interface DemoResult {
  decisions: DecisionRecord[];
  beats: BeatResult[];
  reportPath: string;
  calls: FleetCall[];
  ticks: number;
  events: number;
  rejectedDrivers: number;
  failedReconciles: number;
  wallMs: number;
  /** With `keep`: the pipeline, ready to tick on in real time; close it when done. */
  playground?: Playground;
}

export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
}

export function loadDemoConfig(path = EMBEDDED_CONFIG): Readonly<DrivetrainConfig> {
  const config = parseConfig(parseYaml(readFileSync(path, 'utf8')), path);
  const problems: string[] = [];
  for (const [id, kind] of Object.entries(REQUIRED.targets)) {
    const target = config.targets.find((t) => t.id === id);
    if (!target) problems.push(`target "${id}" (${kind})`);
    else if (target.resource.kind !== kind) problems.push(`target "${id}" must be ${kind}, is ${target.resource.kind}`);
  }
  const alarms = new Set(config.drivers.flatMap((d) => d.alarmNames ?? []));
  for (const alarm of REQUIRED.alarms)
    if (!alarms.has(alarm)) problems.push(`an alarm driver fed by CloudWatch alarm "${alarm}"`);
  for (const [name, kind] of Object.entries(REQUIRED.drivers)) {
    if (!config.drivers.some((d) => d.name === name && d.kind === kind)) problems.push(`${kind} driver "${name}"`);
  }
  if (problems.length)
    throw new DemoSetupError(`${path} lacks what the demo scenario drives:\n  - ${problems.join('\n  - ')}`);
  return config;
}

/** A Lambda context as the runtime passes it; only the deadline is used (idempotency, executor retries). */
function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:111122223333:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'demo',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const wallClock = options.wallClock ?? Date.now;
  const config = loadDemoConfig(options.configPath);
  const scenario = demoScenario(options.day ?? DEMO_DAY);
  const SCENARIO = scenario.times;
  const dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: options.dynamoDbEndpoint });
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  let handedOver = false;
  try {
    const names = await createLocalTables(dynamodb, options.tablePrefix ?? `demo-${randomUUID().slice(0, 8)}`);
    const events = scenario.events();
    const clock = new VirtualClock(Math.min(SCENARIO.start, events[0]?.at ?? SCENARIO.start));
    const fleet = SimulatedFleet.fromConfig(config, {
      now: clock.now,
      instanceWarmupSeconds: options.instanceWarmupSeconds ?? 180,
      provisionedConcurrencyReadySeconds: options.provisionedConcurrencyReadySeconds ?? 240,
      // The web fleet starts where the morning's traffic has it: what the request metric asks for.
      initial: { 'web-asg': requiredUnits(scenario.load(SCENARIO.start), webPerUnit(config)) },
    });
    const decisions = new DynamoDecisionStore(doc, {
      decisionsTable: names.decisions,
      stateTable: names.state,
      retentionDays: config.decisionRetentionDays,
      targets: config.targets,
    });
    // The drivers table keeps the latest observation of each driver; the report shades every alarm episode.
    const observed: Driver[] = [];
    // CloudWatch's view of the request rate: the week before (seeded), then every snapshot as it is sent.
    const metricHistory = new SimulatedMetricHistory(config);
    for (const { periodStart, value } of scenario.seededHistory()) metricHistory.record('requests', periodStart, value);
    const deps = {
      config,
      metricHistory,
      drivers: recordingDriverStore(
        // What a deployment keeps by default (driverHistoryRetention 30 days): `drivetrain --local replay
        // --since` replays the demo's history after `npm run demo -- --keep`.
        new DynamoDriverStore(doc, names.drivers, {
          history: { tableName: names.history, retentionSeconds: 30 * 86_400 },
        }),
        observed,
      ),
      decisions,
      executors: createExecutors({
        autoScaling: fleet.autoScaling,
        applicationAutoScaling: fleet.applicationAutoScaling,
        provisionedConcurrency: fleet.provisionedConcurrency,
        weightedRouting: fleet.routing,
      }),
      clock: () => Math.floor(clock.now()),
      logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'SILENT' }),
      metrics: quietMetrics(),
    };
    const ingest = createIngestHandler({
      ...deps,
      idempotencyStore: new DynamoDBPersistenceLayer({ tableName: names.idempotency, awsSdkV3Client: dynamodb }),
    });
    // The tick records the demo's config in the state table, as a deployed tick does: the CLI's read commands
    // then need no config file (`drivetrain --local status --table-prefix PREFIX` from any directory).
    const tick = createTickHandler({ ...deps, deployedConfig: new DynamoDeployedConfigStore(doc, names.state) });

    const ticks: number[] = [];
    for (let t = SCENARIO.start; t <= SCENARIO.end; t += SCENARIO.tickSeconds) ticks.push(t);
    type Step = { at: number; kind: 'tick' } | { at: number; kind: 'event'; index: number };
    const steps: Step[] = [
      ...ticks.map((t) => ({ at: t, kind: 'tick' as const })),
      ...events.map((e, index) => ({ at: e.at, kind: 'event' as const, index })),
    ].sort((a, b) => a.at - b.at || (a.kind === 'event' ? -1 : 1));

    const samples: Sample[] = [];
    let recorded = 0;
    let rejectedDrivers = 0;
    let failedReconciles = 0;
    let tickCount = 0;
    const wallStart = performance.now();
    let launchFailureInjected = false;
    for (const step of steps) {
      clock.advanceTo(step.at);
      if (!launchFailureInjected && step.at >= SCENARIO.launchFailureAt) {
        launchFailureInjected = true;
        const web = config.targets.find((t) => t.id === 'web-asg')?.resource;
        if (web?.kind === 'ec2-asg') fleet.failLaunches(web.autoScalingGroupName, 1, LAUNCH_FAILURE);
      }
      if (step.kind === 'event') {
        const scenarioEvent = events[step.index]!;
        if (scenarioEvent.narration) options.onNarration?.(step.at, scenarioEvent.narration);
        recordSnapshot(metricHistory, scenarioEvent.event);
        const summary = (await ingest(scenarioEvent.event, lambdaContext('drivetrain-ingest'))) as IngestSummary;
        rejectedDrivers += summary.rejected.length;
        failedReconciles += summary.failedTargets.length;
        recorded += summary.reconciled.filter((r) => r.outcome === 'recorded').length;
        continue;
      }
      const summary = (await tick(scheduledEvent(step.at) as never, lambdaContext('drivetrain-tick'))) as TickSummary;
      failedReconciles += summary.failed.length;
      recorded += summary.reconciled.filter((r) => r.outcome === 'recorded').length;
      tickCount++;
      const sample = sampleFleet(fleet, config, step.at, scenario.load);
      samples.push(sample);
      options.onProgress?.({
        step: tickCount,
        steps: ticks.length,
        at: step.at,
        decisions: recorded,
        status: describeSample(sample, config),
      });
      if (options.speed !== undefined && Number.isFinite(options.speed) && options.speed > 0) {
        const wait = wallStart + ((step.at - SCENARIO.start) / options.speed) * 1000 - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
    }

    // The audit trail as an operator reads it: from the decisions table, oldest first.
    const trail = (await Promise.all(config.targets.map((t) => decisions.list(t.id, { limit: 1000 }))))
      .flat()
      .sort((a, b) => a.at - b.at || a.decisionKey.localeCompare(b.decisionKey));
    const beats = scenario.beats.map((beat) => ({
      ...beat,
      decision: trail.find(
        (d) =>
          d.targetId === beat.targetId &&
          d.reasons.includes(beat.reason) &&
          d.actions.length > 0 &&
          (beat.after === undefined || d.at >= beat.after) &&
          (beat.before === undefined || d.at < beat.before),
      ),
    }));
    const reportName = options.reportName ?? `demo-${stamp(wallClock())}.html`;
    const reportPath = writeReport(
      resolve(options.reportDir ?? DEFAULT_REPORT_DIR, reportName),
      demoReport(config, SCENARIO, samples, trail, beats, fleet.calls, observed, Math.floor(wallClock() / 1000)),
    );
    const playground: Playground | undefined = options.keep
      ? {
          keepTicking: (keep) =>
            tickLoop({
              ...keep,
              clock,
              wallClock,
              tick: (at) => tick(scheduledEvent(at) as never, lambdaContext('drivetrain-tick')) as Promise<TickSummary>,
            }),
          close: () => dynamodb.destroy(),
        }
      : undefined;
    handedOver = playground !== undefined;
    return {
      ...(playground ? { playground } : {}),
      decisions: trail,
      beats,
      reportPath,
      calls: fleet.calls,
      ticks: tickCount,
      events: events.length,
      rejectedDrivers,
      failedReconciles,
      wallMs: performance.now() - started,
    };
  } finally {
    // A kept playground owns the client from here (Playground.close); anything else, or a failure, ends it.
    if (!handedOver) dynamodb.destroy();
  }
}

/**
 * The kept playground's tick loop: the virtual clock catches up with the real one and the same tick handler
 * runs every interval, so a driver put with `drivetrain --local put-driver` is decided on by the next tick
 * (and shows up in `drivetrain --local decisions`). Ticks are at whole seconds of the wall clock.
 */
export async function tickLoop(
  options: KeepTickingOptions & {
    clock: VirtualClock;
    wallClock: () => number;
    tick: (at: number) => Promise<TickSummary>;
  },
): Promise<number> {
  let ticks = 0;
  while (!options.signal.aborted) {
    const at = Math.max(Math.floor(options.wallClock() / 1000), Math.ceil(options.clock.now()));
    options.clock.advanceTo(at);
    const summary = await options.tick(at);
    ticks++;
    await options.onTick?.(at, summary);
    await sleep(options.intervalSeconds * 1000, options.signal);
  }
  return ticks;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

/** A metric snapshot's value is CloudWatch's datapoint for the minute it describes (the one ending at its timestamp). */
function recordSnapshot(history: SimulatedMetricHistory, event: Record<string, unknown>): void {
  if (event['detail-type'] !== DETAIL_TYPES.metricSnapshot) return;
  const detail = event.detail as { driver: string; value: number; timestamp: string };
  history.record(detail.driver, Date.parse(detail.timestamp) / 1000 - 60, detail.value);
}

/** Keeps every driver the ingest handler stores, in order, besides storing it. */
function recordingDriverStore(store: DriverStore, sink: Driver[]): DriverStore {
  return {
    put: async (driver) => {
      const result = await store.put(driver);
      if (result === 'stored') sink.push(driver);
      return result;
    },
    live: (targetId, now) => store.live(targetId, now),
    all: (targetId) => store.all(targetId),
  };
}

function webPerUnit(config: Readonly<DrivetrainConfig>): number {
  const rule = config.targets
    .find((t) => t.id === 'web-asg')
    ?.policy.rules.find((r) => r.kind === 'metric' && r.driver === 'requests');
  return rule?.kind === 'metric' ? rule.targetPerUnit : 250;
}

interface Sample {
  t: number;
  load: number;
  groups: Record<string, { desired: number; min: number; inService: number }>;
  functions: Record<string, { requested: number; allocated: number }>;
  records: Record<string, Record<string, number>>;
  scalableTargets: Record<string, { min: number; capacity: number }>;
}

function sampleFleet(
  fleet: SimulatedFleet,
  config: Readonly<DrivetrainConfig>,
  t: number,
  load: (t: number) => number,
): Sample {
  const sample: Sample = { t, load: load(t), groups: {}, functions: {}, records: {}, scalableTargets: {} };
  for (const target of config.targets) {
    const r = target.resource;
    switch (r.kind) {
      case 'ec2-asg':
        sample.groups[target.id] = fleet.groupStatus(r.autoScalingGroupName);
        break;
      case 'lambda-provisioned-concurrency': {
        const pc = fleet.concurrency(r.functionName, r.qualifier);
        sample.functions[target.id] = { requested: pc?.requested ?? 0, allocated: pc?.allocated ?? 0 };
        break;
      }
      case 'route53-weighted':
        sample.records[target.id] = fleet.weights(r);
        break;
      case 'application-auto-scaling':
        sample.scalableTargets[target.id] = fleet.scalableTargetStatus(r);
        break;
      case 'alb-weighted':
        sample.records[target.id] = simulatorModel(r).sample(fleet, r, undefined, t).weights ?? {};
        break;
      default:
        assertNever(r, 'target resource');
    }
  }
  return sample;
}

function describeSample(sample: Sample, config: Readonly<DrivetrainConfig>): string[] {
  return config.targets.map((target) => {
    const group = sample.groups[target.id];
    if (group)
      return `${target.id} ${group.inService}/${group.desired}${group.min > target.policy.bounds.min ? ` (floor ${group.min})` : ''}`;
    const fn = sample.functions[target.id];
    if (fn) return `${target.id} ${fn.allocated}/${fn.requested}`;
    const weights = sample.records[target.id] ?? {};
    return `${target.id} ${Object.values(weights).join('/')}`;
  });
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function demoReport(
  config: Readonly<DrivetrainConfig>,
  SCENARIO: ScenarioTimes,
  samples: Sample[],
  trail: DecisionRecord[],
  beats: BeatResult[],
  calls: FleetCall[],
  drivers: readonly Driver[],
  generatedAt: number,
): ReportData {
  const perUnit = webPerUnit(config);
  const markersFor = (targetId: string): ChartMarker[] =>
    trail
      .filter((d) => d.targetId === targetId && d.actions.length > 0)
      .map((d) => ({
        t: d.at,
        label: `${d.status}: ${d.summary}`,
        kind: isRoutingKind(d.targetKind)
          ? 'routing'
          : markerKind(
              d.current?.kind === 'capacity' ? d.current.desired : undefined,
              d.desired.kind === 'capacity' ? d.desired.desired : undefined,
              d.status,
            ),
      }));
  const bands: ChartBand[] = [
    { from: SCENARIO.saleStart, to: SCENARIO.saleEnd, label: 'flash sale', kind: 'window' },
    { from: SCENARIO.budgetStart, to: SCENARIO.budgetEnd, label: 'budget cap', kind: 'budget' },
    { from: SCENARIO.outageStart, to: SCENARIO.outageEnd, label: 'telemetry outage', kind: 'outage' },
  ];
  const data: ReportData = {
    title: 'Drivetrain demo — Black Friday morning',
    subtitle: `Virtual ${new Date(SCENARIO.start * 1000).toISOString().slice(0, 16).replace('T', ' ')} → ${new Date(SCENARIO.end * 1000).toISOString().slice(11, 16)} UTC through the real ingest and tick handlers, DynamoDB Local and the real executors on a simulated AWS fleet.`,
    generatedAt,
    start: SCENARIO.start,
    end: SCENARIO.end,
    facts: [
      { label: 'decisions', value: String(trail.length) },
      { label: 'AWS calls (simulated)', value: String(calls.length) },
      ...beats.map((b) => ({
        label: b.name,
        value: b.decision ? new Date(b.decision.at * 1000).toISOString().slice(11, 16) : 'missing',
      })),
    ],
    capacity: [],
    weights: [],
    decisions: trail.map((d) => ({
      at: d.at,
      targetId: d.targetId,
      status: d.status,
      summary: d.summary,
      decisionId: d.decisionId,
      change: d.actions.length > 0 || d.status === 'failed',
    })),
    tables: [
      {
        title: 'Scenario beats',
        columns: ['beat', 'target', 'time (UTC)', 'decision'],
        rows: beats.map((b) => [
          b.name,
          b.targetId,
          b.decision ? new Date(b.decision.at * 1000).toISOString().slice(11, 19) : '—',
          b.decision ? b.decision.summary : 'not seen',
        ]),
      },
    ],
  };
  for (const target of config.targets) {
    const { resource } = target;
    if (resource.kind === 'ec2-asg') {
      data.capacity.push({
        targetId: target.id,
        title: `${target.id} — instances (demand at ${perUnit} rps per instance)`,
        unit: 'instances',
        samples: samples.map((s) => ({
          t: s.t,
          demand: target.id === 'web-asg' ? requiredUnits(s.load, perUnit) : undefined,
          desired: s.groups[target.id]?.desired,
          floor: s.groups[target.id]?.min,
          supply: s.groups[target.id]?.inService,
          ...(target.policy.budget ? { budget: budgetInForce(target.policy, drivers, target.id, s.t) } : {}),
        })),
        markers: markersFor(target.id),
        bands: [...bands, ...alarmEpisodes(drivers, target.id, SCENARIO.end)],
        ...(target.policy.budget
          ? { cost: { unitHourlyPrice: target.policy.budget.unitHourlyPrice, policy: target.policy } }
          : {}),
      });
    } else if (resource.kind === 'lambda-provisioned-concurrency') {
      data.capacity.push({
        targetId: target.id,
        title: `${target.id} — provisioned concurrency`,
        unit: 'concurrency',
        samples: samples.map((s) => ({
          t: s.t,
          desired: s.functions[target.id]?.requested,
          supply: s.functions[target.id]?.allocated,
        })),
        markers: markersFor(target.id),
        bands: [...bands.slice(0, 1), ...alarmEpisodes(drivers, target.id, SCENARIO.end)],
      });
    } else if (resource.kind === 'application-auto-scaling') {
      data.capacity.push({
        targetId: target.id,
        title: `${target.id} — ${resource.scalableDimension} (MinCapacity is Drivetrain's)`,
        unit: 'capacity',
        samples: samples.map((s) => ({
          t: s.t,
          floor: s.scalableTargets[target.id]?.min,
          supply: s.scalableTargets[target.id]?.capacity,
        })),
        markers: markersFor(target.id),
        bands: bands.slice(0, 1),
      });
    } else if (resource.kind === 'route53-weighted') {
      data.weights.push({
        targetId: target.id,
        title: `${target.id} — ${resource.recordName} weights (${recordKey(resource).split('/')[0]})`,
        samples: samples.map((s) => ({ t: s.t, weights: s.records[target.id] ?? {} })),
        markers: markersFor(target.id),
        bands: alarmEpisodes(drivers, target.id, SCENARIO.end),
      });
    } else if (resource.kind === 'alb-weighted') {
      data.weights.push({
        targetId: target.id,
        title: `${target.id} — ALB target group weights`,
        samples: samples.map((s) => ({ t: s.t, weights: s.records[target.id] ?? {} })),
        markers: markersFor(target.id),
      });
    } else assertNever(resource, 'target resource');
  }
  return data;
}
