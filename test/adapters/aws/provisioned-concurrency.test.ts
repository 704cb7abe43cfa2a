import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsProvisionedConcurrencyAdapter } from '../../../functions/adapters/aws/provisioned-concurrency';
import { sdkErrors } from '../../unit/executors/sdk-errors';

describe('AwsProvisionedConcurrencyAdapter', () => {
  const mock = mockClient(LambdaClient);
  const client = new LambdaClient({ region: 'us-east-1' });
  const adapter = new AwsProvisionedConcurrencyAdapter(client);
  beforeEach(() => mock.reset());
  afterAll(() => client.destroy());

  it('reads a ready config (GetProvisionedConcurrencyConfig response syntax of the Lambda API reference)', async () => {
    mock.on(GetProvisionedConcurrencyConfigCommand).resolves({
      $metadata: { httpStatusCode: 200 },
      RequestedProvisionedConcurrentExecutions: 100,
      AvailableProvisionedConcurrentExecutions: 100,
      AllocatedProvisionedConcurrentExecutions: 100,
      Status: 'READY',
      LastModified: '2019-12-31T20:28:49+0000',
    });
    await expect(adapter.get('checkout', 'live')).resolves.toEqual({ requested: 100, allocated: 100, status: 'READY' });
    expect(mock).toHaveReceivedCommandWith(GetProvisionedConcurrencyConfigCommand, {
      FunctionName: 'checkout',
      Qualifier: 'live',
    });
  });

  it('keeps the reason of a FAILED config', async () => {
    mock.on(GetProvisionedConcurrencyConfigCommand).resolves({
      $metadata: { httpStatusCode: 200 },
      RequestedProvisionedConcurrentExecutions: 50,
      AvailableProvisionedConcurrentExecutions: 900,
      AllocatedProvisionedConcurrentExecutions: 0,
      Status: 'FAILED',
      StatusReason: 'Function initialization failed',
      LastModified: '2026-11-23T10:00:00+0000',
    });
    await expect(adapter.get('checkout', 'live')).resolves.toEqual({
      requested: 50,
      allocated: 0,
      status: 'FAILED',
      statusReason: 'Function initialization failed',
    });
  });

  it('answers undefined when the qualifier has no config (404 ProvisionedConcurrencyConfigNotFoundException)', async () => {
    mock.on(GetProvisionedConcurrencyConfigCommand).rejects(sdkErrors.provisionedConcurrencyConfigNotFound());
    await expect(adapter.get('checkout', 'live')).resolves.toBeUndefined();
  });

  it('lets a missing function (ResourceNotFoundException) through as an error', async () => {
    const error = sdkErrors.lambdaFunctionNotFound();
    mock.on(GetProvisionedConcurrencyConfigCommand).rejects(error);
    await expect(adapter.get('checkout', 'live')).rejects.toBe(error);
  });

  it('puts the requested units on the qualifier', async () => {
    mock.on(PutProvisionedConcurrencyConfigCommand).resolves({
      $metadata: { httpStatusCode: 202 },
      RequestedProvisionedConcurrentExecutions: 20,
      AllocatedProvisionedConcurrentExecutions: 0,
      Status: 'IN_PROGRESS',
      LastModified: '2026-11-23T10:00:00+0000',
    });
    await adapter.put('checkout', 'live', 20);
    expect(mock).toHaveReceivedCommandTimes(PutProvisionedConcurrencyConfigCommand, 1);
    expect(mock.commandCalls(PutProvisionedConcurrencyConfigCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'checkout',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: 20,
    });
  });

  it('deletes the config of the qualifier', async () => {
    mock.on(DeleteProvisionedConcurrencyConfigCommand).resolves({ $metadata: { httpStatusCode: 204 } });
    await adapter.remove('checkout', 'live');
    expect(mock.commandCalls(DeleteProvisionedConcurrencyConfigCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'checkout',
      Qualifier: 'live',
    });
  });

  it('lets a conflicting update through for the executors to retry', async () => {
    const error = sdkErrors.lambdaResourceConflict();
    mock.on(PutProvisionedConcurrencyConfigCommand).rejects(error);
    await expect(adapter.put('checkout', 'live', 20)).rejects.toBe(error);
  });
});
