import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandOutput,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsWeightedRoutingAdapter, normalizeRecordName } from '../../../functions/adapters/aws/weighted-routing';
import { EXECUTOR_ERROR_CODES, PermanentExecutorError } from '../../../functions/ports';
import { sdkErrors } from '../../unit/executors/sdk-errors';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const RECORD = { hostedZoneId: ZONE, recordName: 'API.example.com', recordType: 'CNAME' };

/** Weighted CNAME records as ListResourceRecordSets returns them: lower-case, fully qualified names. */
const useast1: ResourceRecordSet = {
  Name: 'api.example.com.',
  Type: 'CNAME',
  SetIdentifier: 'us-east-1',
  Weight: 70,
  TTL: 60,
  ResourceRecords: [{ Value: 'api-use1.example.com' }],
  HealthCheckId: 'abcdef11-2222-3333-4444-555555fedcba',
};
const euwest1: ResourceRecordSet = {
  Name: 'api.example.com.',
  Type: 'CNAME',
  SetIdentifier: 'eu-west-1',
  Weight: 30,
  TTL: 60,
  ResourceRecords: [{ Value: 'api-euw1.example.com' }],
};
/** The next record in the zone's order: same name, later type. Must end the set. */
const followingTxt: ResourceRecordSet = {
  Name: 'api.example.com.',
  Type: 'TXT',
  TTL: 300,
  ResourceRecords: [{ Value: '"v=spf1 -all"' }],
};

function page(
  records: ResourceRecordSet[],
  next?: { name: string; type: 'CNAME' | 'TXT' | 'A'; identifier?: string },
): ListResourceRecordSetsCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    ResourceRecordSets: records,
    IsTruncated: next !== undefined,
    MaxItems: 300,
    ...(next
      ? {
          NextRecordName: next.name,
          NextRecordType: next.type,
          ...(next.identifier ? { NextRecordIdentifier: next.identifier } : {}),
        }
      : {}),
  };
}

const changeOutput = {
  $metadata: { httpStatusCode: 200 },
  ChangeInfo: {
    Id: '/change/C2682N5HXP0BZ4',
    Status: 'PENDING' as const,
    SubmittedAt: new Date('2026-11-23T10:00:00.000Z'),
  },
};

describe('AwsWeightedRoutingAdapter', () => {
  const mock = mockClient(Route53Client);
  const client = new Route53Client({ region: 'us-east-1' });
  const adapter = new AwsWeightedRoutingAdapter(client);
  beforeEach(() => mock.reset());
  afterAll(() => client.destroy());

  describe('getWeights', () => {
    it('lists from the record name and type and stops at the first record of another type', async () => {
      mock.on(ListResourceRecordSetsCommand).resolves(page([useast1, euwest1, followingTxt]));
      await expect(adapter.getWeights(RECORD)).resolves.toEqual({ 'us-east-1': 70, 'eu-west-1': 30 });
      expect(mock).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
      expect(mock.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
        HostedZoneId: ZONE,
        StartRecordName: 'API.example.com.',
        StartRecordType: 'CNAME',
      });
    });

    it('follows NextRecordName/Type/Identifier while the set continues', async () => {
      mock
        .on(ListResourceRecordSetsCommand)
        .resolvesOnce(page([useast1], { name: 'api.example.com.', type: 'CNAME', identifier: 'eu-west-1' }))
        .resolvesOnce(page([euwest1], { name: 'www.example.com.', type: 'A' }));
      await expect(adapter.getWeights(RECORD)).resolves.toEqual({ 'us-east-1': 70, 'eu-west-1': 30 });
      expect(mock).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 2);
      expect(mock.commandCalls(ListResourceRecordSetsCommand)[1]!.args[0].input).toEqual({
        HostedZoneId: ZONE,
        StartRecordName: 'api.example.com.',
        StartRecordType: 'CNAME',
        StartRecordIdentifier: 'eu-west-1',
      });
    });

    it('returns nothing when the zone has no such record', async () => {
      mock
        .on(ListResourceRecordSetsCommand)
        .resolves(
          page([{ Name: 'www.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.44' }] }]),
        );
      await expect(adapter.getWeights(RECORD)).resolves.toEqual({});
    });

    it('matches a wildcard name that Route 53 returns octal-escaped', async () => {
      mock.on(ListResourceRecordSetsCommand).resolves(page([{ ...useast1, Name: '\\052.example.com.' }]));
      await expect(adapter.getWeights({ ...RECORD, recordName: '*.example.com' })).resolves.toEqual({
        'us-east-1': 70,
      });
    });

    it('gives up on a listing that never ends', async () => {
      mock
        .on(ListResourceRecordSetsCommand)
        .resolves(page([useast1], { name: 'api.example.com.', type: 'CNAME', identifier: 'us-east-1' }));
      await expect(adapter.getWeights(RECORD)).rejects.toThrow('still truncated after 10 pages');
    });
  });

  describe('setWeights', () => {
    it('UPSERTs only the records whose weight differs, copying the rest of each record verbatim', async () => {
      mock.on(ListResourceRecordSetsCommand).resolves(page([useast1, euwest1, followingTxt]));
      mock.on(ChangeResourceRecordSetsCommand).resolves(changeOutput);
      await adapter.setWeights(RECORD, { 'us-east-1': 0, 'eu-west-1': 30 }, { comment: 'Drivetrain api-routing:3#0' });
      expect(mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
      expect(mock.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
        HostedZoneId: ZONE,
        ChangeBatch: {
          Comment: 'Drivetrain api-routing:3#0',
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'api.example.com.',
                Type: 'CNAME',
                SetIdentifier: 'us-east-1',
                Weight: 0,
                TTL: 60,
                ResourceRecords: [{ Value: 'api-use1.example.com' }],
                HealthCheckId: 'abcdef11-2222-3333-4444-555555fedcba',
              },
            },
          ],
        },
      });
    });

    it('copies an alias record (AliasTarget, no TTL) verbatim', async () => {
      const alias = (id: string, weight: number): ResourceRecordSet => ({
        Name: 'api.example.com.',
        Type: 'A',
        SetIdentifier: id,
        Weight: weight,
        AliasTarget: {
          HostedZoneId: 'Z35SXDOTRQ7X7K',
          DNSName: `dualstack.${id}-alb-1234567890.${id}.elb.amazonaws.com.`,
          EvaluateTargetHealth: true,
        },
      });
      mock.on(ListResourceRecordSetsCommand).resolves(page([alias('eu-west-1', 30), alias('us-east-1', 70)]));
      mock.on(ChangeResourceRecordSetsCommand).resolves(changeOutput);
      await adapter.setWeights({ ...RECORD, recordType: 'A' }, { 'us-east-1': 50, 'eu-west-1': 50 });
      expect(mock).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
        HostedZoneId: ZONE,
        ChangeBatch: {
          Changes: [
            { Action: 'UPSERT', ResourceRecordSet: alias('us-east-1', 50) },
            { Action: 'UPSERT', ResourceRecordSet: alias('eu-west-1', 50) },
          ],
        },
      });
    });

    it('sends nothing when every weight already matches', async () => {
      mock.on(ListResourceRecordSetsCommand).resolves(page([useast1, euwest1]));
      await adapter.setWeights(RECORD, { 'us-east-1': 70, 'eu-west-1': 30 });
      expect(mock).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    });

    it('refuses a SetIdentifier Route 53 does not have, before sending any change', async () => {
      mock.on(ListResourceRecordSetsCommand).resolves(page([useast1]));
      const error = (await adapter
        .setWeights(RECORD, { 'us-east-1': 0, 'eu-west-1': 100 })
        .catch((e: unknown) => e)) as PermanentExecutorError;
      expect(error).toBeInstanceOf(PermanentExecutorError);
      expect(error.code).toBe(EXECUTOR_ERROR_CODES.unknownSetIdentifier);
      expect(error.message).toContain('no weighted record with SetIdentifier eu-west-1; Route 53 has us-east-1');
      expect(mock).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    });

    it('says so when the SetIdentifier exists with another routing policy', async () => {
      const failover: ResourceRecordSet = { ...euwest1, Weight: undefined, Failover: 'SECONDARY' };
      delete failover.Weight;
      mock.on(ListResourceRecordSetsCommand).resolves(page([useast1, failover]));
      await expect(adapter.setWeights(RECORD, { 'eu-west-1': 100 })).rejects.toThrow(
        '(eu-west-1 exists with another routing policy)',
      );
    });

    it('refuses to edit a record owned by a traffic policy instance', async () => {
      mock
        .on(ListResourceRecordSetsCommand)
        .resolves(page([{ ...useast1, TrafficPolicyInstanceId: '12345678-abcd-1234-abcd-123456789012' }, euwest1]));
      await expect(adapter.setWeights(RECORD, { 'us-east-1': 0 })).rejects.toMatchObject({
        code: EXECUTOR_ERROR_CODES.trafficPolicyRecord,
      });
      expect(mock).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    });

    it('lets PriorRequestNotComplete through for the executor to retry', async () => {
      const error = sdkErrors.priorRequestNotComplete();
      mock.on(ListResourceRecordSetsCommand).resolves(page([useast1, euwest1]));
      mock.on(ChangeResourceRecordSetsCommand).rejects(error);
      await expect(adapter.setWeights(RECORD, { 'us-east-1': 0 })).rejects.toBe(error);
    });
  });

  it.each([
    ['api.example.com', 'api.example.com.'],
    ['API.Example.COM.', 'api.example.com.'],
    ['\\052.example.com.', '*.example.com.'],
  ])('normalizes %s to %s', (name, normalized) => {
    expect(normalizeRecordName(name)).toBe(normalized);
  });
});
