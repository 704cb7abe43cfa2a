/**
 * Route 53 weighted routing executor. The allocation is the weight of each configured SetIdentifier; records
 * of the set that the configuration does not name are never touched.
 *
 * Every port call first takes its requests from the shared Route 53 limiter (see rate-limiter.ts):
 * getWeights is one ListResourceRecordSets request (a weighted set has at most 100 records per name and
 * type, a page holds up to 300), setWeights is two — the AWS adapter lists the set again to copy each
 * record verbatim, then sends one ChangeResourceRecordSets batch. The follow-through's observeServing is
 * one GetChange per change id the apply recorded (Route 53 documents GetChange for exactly this: PENDING
 * until every authoritative server answers with the change, then INSYNC), plus the read-back once INSYNC.
 */
import { sameAllocation } from '../domain/allocation';
import type { Allocation, Target } from '../domain/model';
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

export const ROUTE53_REQUESTS = { getWeights: 1, setWeights: 2, changeStatus: 1 } as const;

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

  const observe = async (target: Target): Promise<Allocation | undefined> => {
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
  };

  return {
    observe,

    async observeServing(target, following) {
      // Propagation first: while a change is PENDING some resolvers still answer with the old weights, and a
      // read-back (which sees the new ones at once) would settle the plan too early.
      const pending = await pendingChange(following.changeIds ?? []);
      if (pending) return { state: 'in-progress', detail: pending };
      const observed = await observe(target);
      if (!observed) return { state: 'failed', cause: 'the weighted record set is gone' };
      const inPlace = sameAllocation(observed, following.desired);
      const weights = observed.kind === 'weights' ? observed.weights : {};
      const detail = `weights ${Object.entries(weights)
        .map(([id, w]) => `${id}=${w}`)
        .join(' ')}`;
      const synced = following.changeIds?.length ? `, change ${following.changeIds.join(', ')} INSYNC` : '';
      return inPlace
        ? { state: 'serving', detail: `${detail}${synced}` }
        : { state: 'in-progress', detail: `${detail} (not as planned yet)` };
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
      // Every change this apply submitted (a retry after a timeout may submit a second one): the last to
      // propagate decides when the plan serves, so all of them are followed.
      const changeIds: string[] = [];
      const result = await converge(
        { ...retry, label: `${actionId} ${describeRecord(record)}` },
        () => getWeights(record),
        (current) =>
          planWeights(record, current, weights, async (changed) => {
            await limiter.take(ROUTE53_REQUESTS.setWeights);
            const { changeId } = await port.setWeights(record, changed, { comment });
            if (changeId) changeIds.push(changeId);
          }),
      );
      return changeIds.length ? { ...result, changeIds } : result;
    },
  };

  /** The first change still PENDING (described), or undefined when all are INSYNC or unknown to Route 53. */
  async function pendingChange(changeIds: readonly string[]): Promise<string | undefined> {
    for (const changeId of changeIds) {
      const status = await withRetry(
        async () => {
          await limiter.take(ROUTE53_REQUESTS.changeStatus);
          return port.changeStatus(changeId);
        },
        { ...retry, label: `GetChange ${changeId}` },
      );
      // NoSuchChange: Route 53 no longer knows it (it keeps changes for a limited time), so propagation
      // cannot be asked about; the weights read back decide, as for a plan applied without a change id.
      if (status === 'PENDING') return `Route 53 change ${changeId} PENDING (not yet on every name server)`;
    }
    return undefined;
  }
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
