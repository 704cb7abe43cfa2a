/**
 * The built ingest bundle, invoked: what the build rewrites (the SDK's protocol imports, idempotency without
 * the JMESPath engine, the lazy channel schemas; scripts/build-lambdas.ts) runs in the deployed code only, so
 * the tests of the sources cannot see it. One alarm event, delivered twice, on DynamoDB Local.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../functions/contracts';
import { stageLambdaCode } from '../../lib/drivetrain-function';
import { HANDLER_SOURCES, PACKAGE_ROOT } from '../../lib/handlers';
import { buildHandlerBundle } from '../../scripts/build-lambdas';
import { deployedEnvironmentStandIn } from '../../scripts/lambda-environment';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import { fixtureConfig } from './support';

const HOME_ACCOUNT = deployedEnvironmentStandIn('x')[ENV.homeAccount]!;

/** A "CloudWatch Alarm State Change" for the fixture config's cpu-high driver (target web-asg). */
function alarmEvent(at: Date) {
  return {
    version: '0',
    id: 'bundle-alarm-1',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: HOME_ACCOUNT,
    time: at.toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:${HOME_ACCOUNT}:alarm:web-cpu-high`],
    detail: {
      alarmName: 'web-cpu-high',
      state: { value: 'ALARM', timestamp: at.toISOString() },
      previousState: { value: 'OK' },
    },
  };
}

describe('the ingest bundle on DynamoDB Local', () => {
  let local: LocalTables;
  // Built here from the current sources: this project's setup starts DynamoDB Local, not the bundle build.
  const bundleDir = mkdtempSync(join(tmpdir(), 'drivetrain-ingest-bundle-'));
  beforeAll(async () => {
    local = await createTestTables();
    await buildHandlerBundle(join(PACKAGE_ROOT, HANDLER_SOURCES.ingest), bundleDir);
  });
  afterAll(() => {
    local?.client.destroy();
    rmSync(bundleDir, { recursive: true, force: true });
  });

  test('stores the driver once and answers a redelivery from the idempotency record', async () => {
    const entry = join(stageLambdaCode(bundleDir, fixtureConfig()), 'index.mjs');
    // Two deliveries of one event in one execution environment. Auto Scaling is a closed port: the reconcile
    // fails fast and is reported per target, which is not what this test looks at.
    const script = `
      const m = await import(${JSON.stringify(entry)});
      const event = JSON.parse(process.env.TEST_EVENT);
      const context = (id) => ({ awsRequestId: id, functionName: 'ingest', getRemainingTimeInMillis: () => 6000 });
      const first = await m.handler(event, context('request-1'));
      const second = await m.handler(event, context('request-2'));
      process.stdout.write('\\n' + JSON.stringify({ first, second }));`;
    const cleanEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => key !== ENV.config && !key.startsWith('AWS_')),
    );
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: tmpdir(),
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...cleanEnv,
        ...deployedEnvironmentStandIn('unused'),
        [ENV.driversTable]: local.names.drivers,
        [ENV.decisionsTable]: local.names.decisions,
        [ENV.stateTable]: local.names.state,
        [ENV.idempotencyTable]: local.names.idempotency,
        AWS_LAMBDA_FUNCTION_NAME: 'bundle-dynamodb-test',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
        AWS_ENDPOINT_URL_AUTO_SCALING: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_TRACE_ENABLED: 'false',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        TEST_EVENT: JSON.stringify(alarmEvent(new Date())),
      },
    });
    // Powertools warns on stderr that the redelivery added no metric; nothing else may be there.
    const stderr = result.stderr.replace(/^No application metrics to publish\..*\n/m, '');
    expect({ status: result.status, stderr }).toEqual({ status: 0, stderr: '' });
    // The last line: the metrics (EMF) go to stdout before it.
    const { first, second } = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      first: { accepted: number };
      second: unknown;
    };
    expect(first).toMatchObject({ channel: 'eventbridge', eventIds: ['bundle-alarm-1'], accepted: 1 });
    expect(second).toEqual(first);
    const count = async (table: string) =>
      (await local.doc.send(new ScanCommand({ TableName: table }))).Items?.length ?? 0;
    expect({ drivers: await count(local.names.drivers), idempotency: await count(local.names.idempotency) }).toEqual({
      drivers: 1,
      idempotency: 1,
    });
  });
});
