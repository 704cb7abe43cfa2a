/**
 * Lambda provisioned concurrency executor. The allocation's `desired` is the requested number of provisioned
 * executions on the alias/version; 0 means no config at all (Lambda rejects a config of 0, and deleting it is
 * how a pre-warm window ends). The `floor` has no Lambda counterpart: it is reported as min(bounds.min,
 * requested), exactly what the engine computes for this kind, so observed and decided allocations compare.
 */
import type { Target } from '../domain/model';
import type {
  AllocationExecutor,
  Following,
  ProvisionedConcurrency,
  ProvisionedConcurrencyPort,
  ServingObservation,
} from '../ports';
import { assertEnforced, capacityAction, converge, resourceOf, type Plan } from './converge';
import { type RetryOptions, withRetry } from './retry';

export function createProvisionedConcurrencyExecutor(
  port: ProvisionedConcurrencyPort,
  retry: Partial<RetryOptions> = {},
): AllocationExecutor {
  return {
    async observe(target: Target) {
      const { functionName, qualifier } = resourceOf(target, 'lambda-provisioned-concurrency');
      const config = await withRetry(() => port.get(functionName, qualifier), {
        ...retry,
        label: `GetProvisionedConcurrencyConfig ${functionName}:${qualifier}`,
      });
      const requested = config?.requested ?? 0;
      return { kind: 'capacity', desired: requested, floor: Math.min(target.policy.bounds.min, requested) };
    },

    async observeServing(target, following) {
      const { functionName, qualifier } = resourceOf(target, 'lambda-provisioned-concurrency');
      const config = await withRetry(() => port.get(functionName, qualifier), {
        ...retry,
        label: `GetProvisionedConcurrencyConfig ${functionName}:${qualifier}`,
      });
      return servingConcurrency(`${functionName}:${qualifier}`, config, following);
    },

    async apply(target, action, actionId) {
      const { functionName, qualifier } = resourceOf(target, 'lambda-provisioned-concurrency');
      const { desired } = capacityAction(target, action, actionId);
      assertEnforced(target, actionId);
      return converge(
        { ...retry, label: `${actionId} ${functionName}:${qualifier}` },
        () => port.get(functionName, qualifier),
        (config) => planProvisionedConcurrency(port, functionName, qualifier, config, desired),
      );
    },
  };
}

export function planProvisionedConcurrency(
  port: ProvisionedConcurrencyPort,
  functionName: string,
  qualifier: string,
  config: ProvisionedConcurrency | undefined,
  desired: number,
): Plan {
  const where = `${functionName}:${qualifier}`;
  if (desired === 0) {
    if (!config) return { unchanged: `${where} has no provisioned concurrency config` };
    return {
      detail: `DeleteProvisionedConcurrencyConfig ${where} ${config.requested}→0`,
      write: () => port.remove(functionName, qualifier),
    };
  }
  // IN_PROGRESS with the right number is converging on its own; putting it again would only earn a
  // ResourceConflictException. A FAILED config is put again: that is how Lambda retries an allocation.
  if (config && config.requested === desired && config.status !== 'FAILED') {
    return { unchanged: `${where} already requests ${desired} (${config.status}, ${config.allocated} allocated)` };
  }
  const previous = config ? `${config.requested}` : '0';
  const replacing =
    config?.status === 'FAILED'
      ? ` (previous config FAILED${config.statusReason ? `: ${config.statusReason}` : ''})`
      : '';
  return {
    detail: `PutProvisionedConcurrencyConfig ${where} ${previous}→${desired}${replacing}`,
    write: () => port.put(functionName, qualifier, desired),
  };
}

/** READY with the planned units allocated serves; FAILED carries Lambda's StatusReason. */
export function servingConcurrency(
  where: string,
  config: ProvisionedConcurrency | undefined,
  following: Following,
): ServingObservation {
  const wanted = following.desired.kind === 'capacity' ? following.desired.desired : 0;
  if (wanted === 0)
    return config
      ? { state: 'in-progress', detail: `${where} config still present (${config.status})` }
      : { state: 'serving', detail: `${where} has no provisioned concurrency, as planned`, serving: 0 };
  if (!config)
    return { state: 'failed', cause: `${where} has no provisioned concurrency config (removed since the apply?)` };
  if (config.status === 'FAILED')
    return {
      state: 'failed',
      cause: `provisioned concurrency FAILED: ${config.statusReason ?? 'no StatusReason given'}`,
    };
  const detail = `${config.allocated} of ${wanted} provisioned executions allocated (${config.status})`;
  const serving = config.allocated;
  if (config.status === 'READY' && config.allocated >= wanted) return { state: 'serving', detail, serving };
  return { state: 'in-progress', detail, serving };
}
