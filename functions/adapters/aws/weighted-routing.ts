/**
 * WeightedRoutingPort on the Route 53 API.
 *
 * A weighted set is every record with the same name and type; each has its own SetIdentifier and Weight.
 * ListResourceRecordSets lists the zone sorted by name then type, so the set is read by starting the listing
 * at (name, type) and paging until a record of another name or type shows up.
 *
 * An UPSERT replaces the whole record, so each changed record is sent back exactly as Route 53 returned it
 * (TTL, ResourceRecords or AliasTarget, HealthCheckId, …) with only Weight changed. Building it from the
 * configuration instead would silently drop a health check someone attached by hand.
 */
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  type ListResourceRecordSetsCommandInput,
  type ResourceRecordSet,
  type Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import {
  EXECUTOR_ERROR_CODES,
  PermanentExecutorError,
  type Route53ChangeStatus,
  type WeightedRecord,
  type WeightedRoutingPort,
} from '../../ports';

/**
 * Safety stop for a listing that never ends. A set holds at most 100 weighted records (Route 53 quota per
 * name and type) and a page up to 300, so a real set takes one page, rarely two.
 */
const MAX_PAGES = 10;

interface WeightedSet {
  /** Weighted records of the set, by SetIdentifier. */
  weighted: Map<string, ResourceRecordSet & { SetIdentifier: string; Weight: number }>;
  /** Records with the same name and type but another routing policy (latency, failover…). */
  others: ResourceRecordSet[];
}

export class AwsWeightedRoutingAdapter implements WeightedRoutingPort {
  constructor(private readonly client: Route53Client) {}

  async getWeights(record: WeightedRecord): Promise<Record<string, number>> {
    const set = await this.readSet(record);
    return Object.fromEntries([...set.weighted].map(([id, rrs]) => [id, rrs.Weight]));
  }

  async setWeights(
    record: WeightedRecord,
    weights: Record<string, number>,
    options: { comment?: string } = {},
  ): Promise<{ changeId?: string }> {
    const set = await this.readSet(record);
    const missing = Object.keys(weights).filter((id) => !set.weighted.has(id));
    if (missing.length) {
      const notWeighted = set.others
        .map((r) => r.SetIdentifier)
        .filter((id): id is string => id !== undefined && missing.includes(id));
      throw new PermanentExecutorError(
        `${record.recordName} ${record.recordType} in ${record.hostedZoneId}: no weighted record with SetIdentifier ${missing.join(', ')}` +
          (notWeighted.length
            ? ` (${notWeighted.join(', ')} exist${notWeighted.length === 1 ? 's' : ''} with another routing policy)`
            : '') +
          `; Route 53 has ${set.weighted.size ? [...set.weighted.keys()].join(', ') : 'no weighted records for this name and type'}`,
        { code: EXECUTOR_ERROR_CODES.unknownSetIdentifier },
      );
    }
    const changes: Change[] = [];
    for (const [id, weight] of Object.entries(weights)) {
      const existing = set.weighted.get(id)!;
      if (existing.Weight === weight) continue;
      if (existing.TrafficPolicyInstanceId) {
        throw new PermanentExecutorError(
          `${record.recordName} ${record.recordType} ${id} belongs to traffic policy instance ${existing.TrafficPolicyInstanceId}; Route 53 would overwrite a direct change: change the traffic policy, or take the record out of it`,
          { code: EXECUTOR_ERROR_CODES.trafficPolicyRecord },
        );
      }
      changes.push({ Action: 'UPSERT', ResourceRecordSet: { ...existing, Weight: weight } });
    }
    if (changes.length === 0) return {};
    // One batch: Route 53 applies it atomically, so traffic never sees half of a re-weighting.
    const output = await this.client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: record.hostedZoneId,
        ChangeBatch: { ...(options.comment ? { Comment: options.comment } : {}), Changes: changes },
      }),
    );
    const changeId = output.ChangeInfo?.Id;
    return changeId ? { changeId } : {};
  }

  async changeStatus(changeId: string): Promise<Route53ChangeStatus | undefined> {
    try {
      const output = await this.client.send(new GetChangeCommand({ Id: changeId }));
      const status = output.ChangeInfo?.Status;
      if (status === 'INSYNC' || status === 'PENDING') return status;
      throw new Error(`GetChange ${changeId} returned no known status (${String(status)})`);
    } catch (error) {
      // Not an error to retry: the change id is unknown to Route 53 (wrong id, or long expired).
      if (error instanceof NoSuchChange) return undefined;
      throw error;
    }
  }

  private async readSet(record: WeightedRecord): Promise<WeightedSet> {
    const name = normalizeRecordName(record.recordName);
    const type = record.recordType as RRType;
    const set: WeightedSet = { weighted: new Map(), others: [] };
    let input: ListResourceRecordSetsCommandInput = {
      HostedZoneId: record.hostedZoneId,
      StartRecordName: withTrailingDot(record.recordName),
      StartRecordType: type,
    };
    for (let page = 1; page <= MAX_PAGES; page++) {
      const output = await this.client.send(new ListResourceRecordSetsCommand(input));
      for (const rrs of output.ResourceRecordSets ?? []) {
        // Sorted by name then type: the first record of another name or type means the set is complete.
        if (rrs.Type !== type || rrs.Name === undefined || normalizeRecordName(rrs.Name) !== name) return set;
        if (rrs.SetIdentifier !== undefined && rrs.Weight !== undefined) {
          set.weighted.set(rrs.SetIdentifier, rrs as ResourceRecordSet & { SetIdentifier: string; Weight: number });
        } else {
          set.others.push(rrs);
        }
      }
      if (!output.IsTruncated || output.NextRecordName === undefined) return set;
      if (output.NextRecordType !== type || normalizeRecordName(output.NextRecordName) !== name) return set;
      input = {
        HostedZoneId: record.hostedZoneId,
        StartRecordName: output.NextRecordName,
        StartRecordType: output.NextRecordType,
        ...(output.NextRecordIdentifier !== undefined ? { StartRecordIdentifier: output.NextRecordIdentifier } : {}),
      };
    }
    throw new Error(
      `ListResourceRecordSets for ${record.recordName} ${record.recordType} in ${record.hostedZoneId} was still truncated after ${MAX_PAGES} pages`,
    );
  }
}

/**
 * Compares the way Route 53 does: case-insensitive, trailing dot optional. Route 53 returns names fully
 * qualified and lower-case with characters outside [a-z0-9-_.] as octal escapes (`*.example.com` comes back
 * as `\052.example.com.`), so escapes are decoded first.
 */
export function normalizeRecordName(name: string): string {
  const decoded = name.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return withTrailingDot(decoded.toLowerCase());
}

function withTrailingDot(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}
