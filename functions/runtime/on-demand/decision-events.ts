/** The decision-event publisher with its EventBridge client: a chunk of its own, loaded on the first publish. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeDecisionPublisher } from '../../adapters/aws/decision-events';
import type { DecisionEventPublisher } from '../../ports';
import type { TraceClient } from './client-config';

export function createDecisionEventPublisher(trace: TraceClient, busName: string): DecisionEventPublisher {
  // Short timeouts and the SDK's own retries: a lost event only costs a notification, never the reconcile.
  const client = trace(
    new EventBridgeClient({
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    }),
  );
  return new EventBridgeDecisionPublisher(client, busName);
}
