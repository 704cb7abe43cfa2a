/**
 * Drivetrain's DynamoDB tables, built from the one shared definition (functions/adapters/dynamodb/tables.ts)
 * that DynamoDB Local and the adapters also use: key names, TTL attributes and indexes are never restated.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  TABLES,
  tableNames,
  type KeyAttribute,
  type TableDefinition,
  type TableNames,
} from '../functions/adapters/dynamodb/tables';

export interface DrivetrainTablesProps {
  /** Physical name prefix (the config's deployment name): `<prefix>-drivers` and so on. */
  readonly prefix: string;
  /**
   * Keep the tables (and refuse deletes) when the stack or a table is removed. The decisions table is the
   * audit trail; losing it to a mistyped `cdk destroy` is not recoverable, PITR backups go with the table.
   * @default true
   */
  readonly retainData?: boolean;
}

export type DrivetrainTableMap = Readonly<Record<TableDefinition['id'], dynamodb.Table>>;

export class DrivetrainTables extends Construct {
  readonly tables: DrivetrainTableMap;
  readonly names: TableNames;

  constructor(scope: Construct, id: string, props: DrivetrainTablesProps) {
    super(scope, id);
    const retain = props.retainData ?? true;
    this.names = tableNames(props.prefix);
    const built = {} as Record<TableDefinition['id'], dynamodb.Table>;
    for (const definition of TABLES) {
      const table = new dynamodb.Table(this, logicalId(definition), {
        // Fixed names: operators find "<name>-decisions" in the console, and the CLI derives them too.
        tableName: this.names[definition.id],
        partitionKey: attribute(definition.partitionKey),
        ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        // The AWS managed key (aws/dynamodb) rather than the default AWS owned key: every use of it shows in
        // CloudTrail, at no key cost.
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
        deletionProtection: retain,
        removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      for (const index of definition.globalSecondaryIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      built[definition.id] = table;
    }
    this.tables = Object.freeze(built);
  }
}

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}

function logicalId(definition: TableDefinition): string {
  return `${definition.id.charAt(0).toUpperCase()}${definition.id.slice(1)}Table`;
}
