/**
 * Route 53 weighted routing executor. The allocation is the weight of each configured SetIdentifier; records
 * of the set that the configuration does not name are never touched.
 *
 * Every port call first takes its requests from the shared Route 53 limiter (see rate-limiter.ts):
 * getWeights is one ListResourceRecordSets request (a weighted set has at most 100 records per name and
 * type, a page holds up to 300), setWeights is two — the AWS adapter lists the set again to copy each
 * record verbatim, then sends one ChangeResourceRecordSets batch.
 */
import type { Target } from '../domain/model';
import {
  EXECUTOR_ERROR_CODES,
  PermanentExecutorError,
  type AllocationExecutor,
  type WeightedRecord,
  type WeightedRoutingPort,
} from '../ports';
import { assertEnforced, converge, resourceOf, weightsAction, type Plan } from './converge';
import type { RequestLimiter } from './rate-limiter';
import { type RetryOptions, withRetry } from './retry';

export const ROUTE53_REQUESTS = { getWeights: 1, setWeights: 2 } as const;

/** Route 53 caps a change batch Comment at 256 characters. */
const MAX_COMMENT_LENGTH = 256;

export function createWeightedRoutingExecutor(
  port: WeightedRoutingPort,
  limiter: RequestLimiter,
  retry: Partial<RetryOptions> = {},
): AllocationExecutor {
  const getWeights = async (record: WeightedRecord) => {
    await limiter.take(ROUTE53_REQUESTS.getWeights);
    return port.getWeights(record);
  };

  return {
    async observe(target: Target) {
      const resource = resourceOf(target, 'route53-weighted');
      const record = weightedRecord(resource);
      const current = await withRetry(() => getWeights(record), {
        ...retry,
        label: `ListResourceRecordSets ${describeRecord(record)}`,
      });
      if (Object.keys(current).length === 0) return undefined;
      const configured = resource.endpoints.map((e) => e.setIdentifier);
      const missing = configured.filter((id) => current[id] === undefined);
      if (missing.length) throw unknownSetIdentifiers(record, missing, current);
      return { kind: 'weights', weights: Object.fromEntries(configured.map((id) => [id, current[id]!])) };
    },

    async apply(target, action, actionId) {
      const resource = resourceOf(target, 'route53-weighted');
      const record = weightedRecord(resource);
      const weights = weightsAction(
        target,
        action,
        actionId,
        resource.endpoints.map((e) => e.setIdentifier),
      );
      assertEnforced(target, actionId);
      const comment = `Drivetrain ${actionId}`.slice(0, MAX_COMMENT_LENGTH);
      return converge(
        { ...retry, label: `${actionId} ${describeRecord(record)}` },
        () => getWeights(record),
        (current) =>
          planWeights(record, current, weights, async (changed) => {
            await limiter.take(ROUTE53_REQUESTS.setWeights);
            await port.setWeights(record, changed, { comment });
          }),
      );
    },
  };
}

export function planWeights(
  record: WeightedRecord,
  current: Record<string, number>,
  wanted: Record<string, number>,
  write: (changed: Record<string, number>) => Promise<void>,
): Plan {
  const missing = Object.keys(wanted).filter((id) => current[id] === undefined);
  if (missing.length) throw unknownSetIdentifiers(record, missing, current);
  const changed = Object.entries(wanted).filter(([id, weight]) => current[id] !== weight);
  if (changed.length === 0) {
    return {
      unchanged: `${describeRecord(record)} already weighted ${Object.entries(wanted)
        .map(([id, w]) => `${id} ${w}`)
        .join(', ')}`,
    };
  }
  return {
    detail: `ChangeResourceRecordSets ${describeRecord(record)} UPSERT ${changed.map(([id, w]) => `${id} ${current[id]}→${w}`).join(', ')}`,
    write: () => write(Object.fromEntries(changed)),
  };
}

function weightedRecord(resource: { hostedZoneId: string; recordName: string; recordType: string }): WeightedRecord {
  return { hostedZoneId: resource.hostedZoneId, recordName: resource.recordName, recordType: resource.recordType };
}

function describeRecord(record: WeightedRecord): string {
  return `${record.recordName} ${record.recordType} in ${record.hostedZoneId}`;
}

function unknownSetIdentifiers(
  record: WeightedRecord,
  missing: string[],
  current: Record<string, number>,
): PermanentExecutorError {
  const present = Object.keys(current);
  return new PermanentExecutorError(
    `${describeRecord(record)} has no weighted record with SetIdentifier ${missing.join(', ')} (Route 53 has: ${present.length ? present.join(', ') : 'none'}); create the record or fix the target's endpoints`,
    { code: EXECUTOR_ERROR_CODES.unknownSetIdentifier },
  );
}
