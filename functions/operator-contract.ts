/**
 * The operator endpoint's request and response, shared by the endpoint (functions/handlers/operator.ts) and
 * its client, the CLI. Kept apart from the handler so the CLI and the published library load only this
 * contract, not the Lambda runtime behind it (Powertools, Middy, the executors' SDK clients).
 */
import { z } from 'zod';
import { DETAIL_TYPES } from './contracts';
import { MODE_VERBS } from './app/mode';
import { identifier } from './domain/model';

export const operatorRequestSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('put-driver'),
      detailType: z.enum([DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot, DETAIL_TYPES.override]),
      source: z.string().min(1).max(256),
      detail: z.record(z.string(), z.unknown()),
    })
    .strict(),
  z
    .object({
      action: z.literal('set-mode'),
      targetId: identifier,
      verb: z.enum(MODE_VERBS),
      reason: z.string().trim().min(1).max(512),
    })
    .strict(),
]);
export type OperatorRequest = z.infer<typeof operatorRequestSchema>;

export interface OperatorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
