/** The tick's record of the deployed config: the state table, through the Lambda's own DynamoDB client. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDeployedConfigStore } from '../adapters/dynamodb/deployed-config';
import type { DeployedConfigStore } from '../ports';
import type { LambdaDeps } from './deps';

export function buildDeployedConfigStore(deps: Pick<LambdaDeps, 'dynamodb' | 'env'>): DeployedConfigStore {
  return new DynamoDeployedConfigStore(DynamoDBDocumentClient.from(deps.dynamodb), deps.env.tables.state);
}
