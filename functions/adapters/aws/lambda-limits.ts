/**
 * LambdaLimitsPort on the Lambda API: the account's concurrency settings and a function's reservation.
 * SDK errors propagate unchanged (the caller explains them), except "no such function", which is an answer.
 */
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  type LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import type { LambdaAccountConcurrency, LambdaLimitsPort } from '../../ports';

export class AwsLambdaLimitsAdapter implements LambdaLimitsPort {
  constructor(private readonly client: LambdaClient) {}

  async account(): Promise<LambdaAccountConcurrency> {
    const output = await this.client.send(new GetAccountSettingsCommand({}));
    const limit = output.AccountLimit?.ConcurrentExecutions;
    const unreserved = output.AccountLimit?.UnreservedConcurrentExecutions;
    if (limit === undefined || unreserved === undefined)
      throw new Error('GetAccountSettings returned no ConcurrentExecutions/UnreservedConcurrentExecutions');
    return { limit, unreserved };
  }

  async reservedConcurrency(functionName: string): Promise<number | null | undefined> {
    try {
      const output = await this.client.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
      return output.ReservedConcurrentExecutions ?? null;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
