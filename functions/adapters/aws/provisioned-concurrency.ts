/**
 * ProvisionedConcurrencyPort on the Lambda API. SDK errors propagate unchanged (the executors classify them),
 * except "no config on this qualifier", which is an answer, not a failure.
 */
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  type LambdaClient,
  ProvisionedConcurrencyConfigNotFoundException,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import type { ProvisionedConcurrency, ProvisionedConcurrencyPort } from '../../ports';

const STATUSES = new Set<ProvisionedConcurrency['status']>(['IN_PROGRESS', 'READY', 'FAILED']);

export class AwsProvisionedConcurrencyAdapter implements ProvisionedConcurrencyPort {
  constructor(private readonly client: LambdaClient) {}

  async get(functionName: string, qualifier: string): Promise<ProvisionedConcurrency | undefined> {
    try {
      const output = await this.client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier }),
      );
      const status = output.Status as ProvisionedConcurrency['status'] | undefined;
      if (
        output.RequestedProvisionedConcurrentExecutions === undefined ||
        status === undefined ||
        !STATUSES.has(status)
      ) {
        throw new Error(
          `GetProvisionedConcurrencyConfig returned ${functionName}:${qualifier} without a requested count or a known status (${String(output.Status)})`,
        );
      }
      const config: ProvisionedConcurrency = {
        requested: output.RequestedProvisionedConcurrentExecutions,
        allocated: output.AllocatedProvisionedConcurrentExecutions ?? 0,
        status,
      };
      if (output.StatusReason) config.statusReason = output.StatusReason;
      return config;
    } catch (error) {
      // Lambda answers 404 ProvisionedConcurrencyConfigNotFoundException when the qualifier has no config;
      // a missing function or alias is ResourceNotFoundException and stays an error.
      if (isConfigNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(functionName: string, qualifier: string, units: number): Promise<void> {
    await this.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: functionName,
        Qualifier: qualifier,
        ProvisionedConcurrentExecutions: units,
      }),
    );
  }

  async remove(functionName: string, qualifier: string): Promise<void> {
    await this.client.send(
      new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier }),
    );
  }
}

function isConfigNotFound(error: unknown): boolean {
  // By name too: a second copy of the SDK (or a test double built like one) fails instanceof.
  return (
    error instanceof ProvisionedConcurrencyConfigNotFoundException ||
    (error instanceof Error && error.name === 'ProvisionedConcurrencyConfigNotFoundException')
  );
}
