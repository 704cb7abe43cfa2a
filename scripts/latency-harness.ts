/**
 * Latency harness (a measurement, not a test): driver event in → executor call out, through the real ingest
 * handler (Middy + Powertools + idempotency, normalizer, DynamoDB stores on DynamoDB Local, reconcile, real
 * executors) with an in-memory Auto Scaling port standing in for AWS.
 *
 *   npm run bench:latency                    # 1,200 events after 100 warm-up events
 *   npm run bench:latency -- --events 5000 --json
 *   npm run bench:latency -- --max-p99 150   # exit 1 when p99 is above 150 ms
 *
 * Each event is a metric snapshot or an alarm state change for web-asg (the embedded default config), on a
 * virtual clock advanced past every cooldown between events, so each event makes the engine change the
 * allocation and the executor call the (fake) SetDesiredCapacity: the path measured is the full one
 * (normalize, idempotency record, driver put, state read, observe, drivers query, decide, record, apply).
 * The latency of an event is from just before the handler is invoked to the moment the port's mutating call
 * starts; events that end without a call (none expected) are reported separately.
 */
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// EMF lines for thousands of events would drown the report; the metric calls themselves still run.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { parse as parseYaml } from 'yaml';
import { DynamoDecisionStore } from '../functions/adapters/dynamodb/decision-store';
import { DynamoDriverStore } from '../functions/adapters/dynamodb/driver-store';
import { DETAIL_TYPES, METRICS_NAMESPACE, SERVICE_NAME } from '../functions/contracts';
import { parseConfig } from '../functions/domain/config';
import { createExecutors } from '../functions/executors';
import { createIngestHandler, type IngestSummary } from '../functions/handlers/ingest';
import type {
  AutoScalingGroupCapacity,
  ApplicationAutoScalingPort,
  AutoScalingPort,
  OwnScaling,
  ProvisionedConcurrencyPort,
  WeightedRoutingPort,
} from '../functions/ports';
import { LOCAL_CLIENT_CONFIG, startDynamoDbLocal } from '../local/dynamodb-local';
import { createLocalTables } from '../local/tables';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1200' },
    warmup: { type: 'string', default: '100' },
    'max-p99': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

function count(name: string, raw: string | undefined, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const EVENTS = count('events', args.events, 1000);
const WARMUP = count('warmup', args.warmup, 0);
const MAX_P99 = args['max-p99'] === undefined ? undefined : Number(args['max-p99']);

/** The in-memory group: answers describe, records when each mutating call starts. */
class InMemoryAutoScaling implements AutoScalingPort {
  group: AutoScalingGroupCapacity = { desired: 4, min: 2, max: 40 };
  calledAt: number | undefined;
  calls = 0;
  async describe(): Promise<AutoScalingGroupCapacity> {
    return { ...this.group };
  }
  async setCapacity(_name: string, change: { desired: number; min?: number }): Promise<void> {
    this.calledAt ??= performance.now();
    this.calls++;
    this.group = { ...this.group, desired: change.desired, min: change.min ?? this.group.min };
  }
  async failedActivities(): Promise<[]> {
    return [];
  }
  async setMinSize(_name: string, min: number): Promise<void> {
    this.calledAt ??= performance.now();
    this.calls++;
    this.group = { ...this.group, min, desired: Math.max(this.group.desired, min) };
  }
  async ownScaling(): Promise<OwnScaling> {
    return { policies: [], scheduledActions: [] };
  }
}

const unused = (what: string) => () => Promise.reject(new Error(`${what} is not part of this harness`));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function context(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'drivetrain-ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:drivetrain-ingest',
    memoryLimitInMB: '512',
    awsRequestId: `bench-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/drivetrain-ingest',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Request rates (250 per instance: demands 8, 10, 12) chosen so that, with the CPU alarm firing at position 4
 * and clearing at position 6 of every ten events, every event changes web-asg's allocation within its step
 * limits (+12/-4): 8, 10, 8, 10, alarm 12, 14, clear 10, 8, 10, 12, then again from 8.
 */
const REQUESTS_BY_POSITION: Record<number, number> = {
  0: 2000,
  1: 2500,
  2: 2000,
  3: 2500,
  5: 2000,
  7: 2000,
  8: 2500,
  9: 3000,
};

/** Event i on the virtual clock: a metric snapshot, or the CPU alarm changing state at positions 4 and 6. */
function event(i: number, at: number): { event: unknown; kind: 'metric' | 'alarm' } {
  const time = new Date(at * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  if (i % 10 === 4 || i % 10 === 6) {
    const state = i % 10 === 4 ? 'ALARM' : 'OK';
    return {
      kind: 'alarm',
      event: {
        version: '0',
        id: `bench-alarm-${i}`,
        'detail-type': DETAIL_TYPES.alarmStateChange,
        source: 'aws.cloudwatch',
        account: '111122223333',
        time,
        region: 'us-east-1',
        resources: ['arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-prod-cpu-high'],
        detail: {
          alarmName: 'web-prod-cpu-high',
          state: { value: state, reason: 'bench', timestamp: new Date(at * 1000).toISOString().replace('Z', '+0000') },
          previousState: {
            value: state === 'ALARM' ? 'OK' : 'ALARM',
            reason: 'bench',
            timestamp: new Date((at - 60) * 1000).toISOString().replace('Z', '+0000'),
          },
        },
      },
    };
  }
  return {
    kind: 'metric',
    event: {
      version: '0',
      id: `bench-metric-${i}`,
      'detail-type': DETAIL_TYPES.metricSnapshot,
      source: 'drivetrain.metrics',
      account: '111122223333',
      time,
      region: 'us-east-1',
      resources: [],
      detail: { driver: 'requests', value: REQUESTS_BY_POSITION[i % 10]!, unit: 'Count/Second', timestamp: time },
    },
  };
}

async function main(): Promise<void> {
  const config = parseConfig(
    parseYaml(readFileSync(join(__dirname, '..', 'drivetrain.config.yaml'), 'utf8')),
    'drivetrain.config.yaml',
  );
  const local = await startDynamoDbLocal();
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: local.endpoint });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  try {
    const names = await createLocalTables(client, `bench${Date.now().toString(36)}`);
    const autoScaling = new InMemoryAutoScaling();
    const provisionedConcurrency: ProvisionedConcurrencyPort = {
      get: unused('Lambda'),
      put: unused('Lambda'),
      remove: unused('Lambda'),
    };
    const weightedRouting: WeightedRoutingPort = {
      getWeights: unused('Route 53'),
      setWeights: unused('Route 53'),
      changeStatus: unused('Route 53'),
    };
    const applicationAutoScaling: ApplicationAutoScalingPort = {
      describe: unused('Application Auto Scaling'),
      setMinCapacity: unused('Application Auto Scaling'),
      ownScaling: unused('Application Auto Scaling'),
    };
    // Start far past the config's scheduled windows; each event moves the clock beyond every cooldown.
    const clock = { now: 1_900_000_000 };
    const handler = createIngestHandler({
      config,
      drivers: new DynamoDriverStore(doc, names.drivers),
      decisions: new DynamoDecisionStore(doc, {
        decisionsTable: names.decisions,
        stateTable: names.state,
        retentionDays: config.decisionRetentionDays,
        targets: config.targets,
      }),
      executors: createExecutors({ autoScaling, applicationAutoScaling, provisionedConcurrency, weightedRouting }),
      clock: () => clock.now,
      logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
      idempotencyStore: new DynamoDBPersistenceLayer({ tableName: names.idempotency, awsSdkV3Client: client }),
    });

    const latencies: number[] = [];
    let withoutCall = 0;
    let failures = 0;
    const startedAt = performance.now();
    for (let i = 0; i < WARMUP + EVENTS; i++) {
      if (i === WARMUP) latencies.length = withoutCall = failures = 0;
      // Exactly the 600 s scale-in cooldown of web-asg, which is also its metric staleness limit: every event
      // may change the allocation, and the previous metric snapshot is still fresh.
      clock.now += 600;
      const { event: payload } = event(i, clock.now);
      autoScaling.calledAt = undefined;
      const t0 = performance.now();
      const summary = (await handler(payload, context())) as IngestSummary;
      if (summary.failedTargets.length > 0 || summary.accepted !== 1) failures++;
      if (autoScaling.calledAt === undefined) withoutCall++;
      else latencies.push(autoScaling.calledAt - t0);
    }
    const measuredMs = performance.now() - startedAt;
    latencies.sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 100) / 100;
    const report = {
      events: EVENTS,
      warmup: WARMUP,
      measured: latencies.length,
      withoutExecutorCall: withoutCall,
      failures,
      p50Ms: round(percentile(latencies, 50)),
      p90Ms: round(percentile(latencies, 90)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies[latencies.length - 1] ?? NaN),
      eventsPerSecond: round(((WARMUP + EVENTS) / measuredMs) * 1000),
      node: process.version,
    };
    if (args.json) console.log(JSON.stringify(report));
    else {
      console.log(
        `Drivetrain ingest latency, event in → executor call out (DynamoDB Local, warm, ${report.measured} of ${EVENTS} events after ${WARMUP} warm-up)`,
      );
      console.log(
        `  p50 ${report.p50Ms} ms   p90 ${report.p90Ms} ms   p99 ${report.p99Ms} ms   max ${report.maxMs} ms`,
      );
      console.log(
        `  ${report.eventsPerSecond} events/s sequential; ${withoutCall} events without an executor call; ${failures} failed`,
      );
      console.log(`  goal p99 < 150 ms: ${report.p99Ms < 150 ? 'met' : 'NOT met'}`);
    }
    if (withoutCall > 0 || failures > 0) process.exitCode = 1;
    if (MAX_P99 !== undefined && !(report.p99Ms <= MAX_P99)) process.exitCode = 1;
  } finally {
    client.destroy();
    await local.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
