/**
 * The ingest Lambda's dependencies: everyone's (deps.ts) plus the Powertools idempotency store on its table.
 * Only ingest deduplicates deliveries that way, so only its bundle carries the persistence layer (and the
 * JMESPath engine it loads): the other functions' cold starts do not parse it.
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { buildLambdaDeps, type LambdaDeps } from './deps';
import { parseEnv } from './env';

export function buildIngestDeps(env = parseEnv()): LambdaDeps & { idempotencyStore: BasePersistenceLayer } {
  const deps = buildLambdaDeps(env);
  return {
    ...deps,
    idempotencyStore: new DynamoDBPersistenceLayer({
      tableName: env.tables.idempotency,
      awsSdkV3Client: deps.dynamodb,
    }),
  };
}
