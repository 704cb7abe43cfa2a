/**
 * Stand-ins for what the stack puts in every function's environment (lib/drivetrain.ts), for running the
 * built bundles outside Lambda: the cold-start bench and the bundle tests. One list, so a variable the
 * functions start requiring is added once and both keep working.
 */
import { ENV } from '../functions/contracts';

export function deployedEnvironmentStandIn(prefix: string): Record<string, string> {
  return {
    [ENV.driversTable]: `${prefix}-drivers`,
    [ENV.decisionsTable]: `${prefix}-decisions`,
    [ENV.stateTable]: `${prefix}-state`,
    [ENV.idempotencyTable]: `${prefix}-idempotency`,
    [ENV.pendingGraceSeconds]: '150',
    [ENV.homeAccount]: '111122223333',
    // The tick's own (the other functions ignore them).
    [ENV.shardQueueUrl]: `https://sqs.us-east-1.amazonaws.com/111122223333/${prefix}-shards`,
    [ENV.tickIntervalSeconds]: '60',
  };
}
