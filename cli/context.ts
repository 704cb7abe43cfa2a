/**
 * Everything a command needs, built lazily and at most once per run: the validated config, table names,
 * AWS SDK clients (one per service, from --region/--profile/--local/--endpoint), the stores, output helpers
 * and the progress indicator. Tests pass their own clients, env and clock through `CliIo`.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ENV } from '../functions/contracts';
import type { DrivetrainConfig } from '../functions/domain/config';
import type { Target } from '../functions/domain/model';
import type { DecisionStore, DriverStore } from '../functions/ports';
import type { LivePorts } from './live-check';
import { flag, stringOption, suggest, type Parsed } from './args';
import { formatLocatedIssue, loadConfigFile } from './config-file';
import { LOCAL_DEFAULT_PREFIX, readCommandConfig, readsDeployedConfig, type ConfigSource } from './deployed-config';
import { CommandError, UsageError, explainAwsError } from './errors';
import { json } from './format';
import { OPERATOR_URL_ENV, OperatorClient, type OperatorReply } from './operator-client';
import type { OperatorRequest } from '../functions/operator-contract';
import { silentProgress, terminalProgress, type Progress } from './progress';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Epoch seconds (the domain's unit). */
  now: () => number;
  /** Relative --config paths resolve against this. */
  cwd: string;
  /** Draw the progress indicator (stderr is a terminal). */
  stderrIsTTY?: boolean;
  /** Width of the terminal on stdout; undefined when piped, and tables are then never truncated. */
  columns?: number | undefined;
  /** Prebuilt SDK clients; when absent they are built from the flags. */
  clients?: {
    dynamodb?: DynamoDBClient;
    eventBridge?: EventBridgeClient;
    sts?: STSClient;
    operator?: OperatorClient;
    /** `validate --live`: the resource APIs it reads (read-only). */
    autoScaling?: AutoScalingClient;
    lambda?: LambdaClient;
    route53?: Route53Client;
    elbv2?: ElasticLoadBalancingV2Client;
    applicationAutoScaling?: ApplicationAutoScalingClient;
    ec2?: EC2Client;
    serviceQuotas?: ServiceQuotasClient;
  };
}

export const DEFAULT_CONFIG_FILE = 'drivetrain.config.yaml';
/** Where `npm run demo` starts DynamoDB Local (local/dynamodb-local.ts picks this port for the demo). */
export const LOCAL_ENDPOINT = 'http://127.0.0.1:8000';
/** DynamoDB Local accepts any static credentials; with -sharedDb every key and region sees the same tables. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
const LOCAL_REGION = 'us-east-1';
/** Env var naming the table prefix (what `--table-prefix` sets). */
export const TABLE_PREFIX_ENV = 'DRIVETRAIN_TABLE_PREFIX';

export interface TableSelection {
  drivers: string;
  decisions: string;
  state: string;
  /** Driver history (`replay --since`): HISTORY_TABLE_NAME, else PREFIX-history. */
  history: string;
}

export class Context {
  readonly json: boolean;
  readonly local: boolean;
  readonly progress: Progress;
  private configPromise: Promise<DrivetrainConfig> | undefined;
  private fileConfigPromise: Promise<DrivetrainConfig> | undefined;
  /** Where config() found the config (set once it resolved): the deployed one or a file. */
  configSource: ConfigSource | undefined;
  private documentClient: DynamoDBDocumentClient | undefined;
  private eventBridgeClient: EventBridgeClient | undefined;
  private stsClient: STSClient | undefined;
  private drivers: DriverStore | undefined;
  private decisions: DecisionStore | undefined;
  /** Clients this run created (not injected ones): destroyed at the end so the process can exit. */
  private readonly owned: Array<{ destroy(): void }> = [];

  constructor(
    readonly io: CliIo,
    readonly parsed: Parsed,
    readonly command: string,
  ) {
    this.json = flag(parsed, 'json');
    this.local = flag(parsed, 'local');
    this.progress = io.stderrIsTTY ? terminalProgress(io.stderr) : silentProgress;
    if (this.local && stringOption(parsed, 'profile'))
      throw new UsageError(
        '--local and --profile do not go together: DynamoDB Local needs no AWS credentials',
        command,
      );
  }

  now(): number {
    return Math.floor(this.io.now());
  }

  out(text: string): void {
    this.io.stdout(text);
  }

  outJson(value: unknown): void {
    this.io.stdout(json(value));
  }

  /** Notes for people (never on stdout, so `--json` stays parseable). */
  note(text: string): void {
    this.io.stderr(text.endsWith('\n') ? text : `${text}\n`);
  }

  configFile(): string {
    // `replay --policy FILE` names the config under test; it is the same file format as --config.
    return this.resolvePath(
      stringOption(this.parsed, 'policy') ?? stringOption(this.parsed, 'config') ?? DEFAULT_CONFIG_FILE,
    );
  }

  resolvePath(file: string): string {
    return isAbsolute(file) ? file : resolve(this.io.cwd, file);
  }

  /** A path as people should read it: relative to the working directory when it is under it. */
  displayPath(path: string): string {
    const rel = relative(this.io.cwd, path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  }

  /** The config the command works with: the deployed one for read commands (cli/deployed-config.ts), else the file. */
  config(): Promise<DrivetrainConfig> {
    this.configPromise ??= readsDeployedConfig(this.command, this.parsed)
      ? readCommandConfig(this).then(({ config, source }) => {
          this.configSource = source;
          return config;
        })
      : this.fileConfig().then((config) => {
          this.configSource = { kind: 'file', file: this.displayPath(this.configFile()) };
          return config;
        });
    return this.configPromise;
  }

  /** The validated config file; a broken or missing config stops every command that needs it, with the reasons. */
  fileConfig(): Promise<DrivetrainConfig> {
    this.fileConfigPromise ??= loadConfigFile(this.configFile(), this.displayPath(this.configFile())).then((load) => {
      if (load.ok) return load.config;
      const hint = load.reason === 'missing' ? [] : ['run `drivetrain validate` for the full report'];
      throw new CommandError(
        `cannot use config ${load.file}:\n${load.issues.map((i) => `  ${formatLocatedIssue(i)}`).join('\n')}`,
        hint,
      );
    });
    return this.fileConfigPromise;
  }

  /** The configured target, or an error listing the ones that exist. */
  async target(id: string): Promise<Target> {
    const config = await this.config();
    const target = config.targets.find((t) => t.id === id);
    if (target) return target;
    throw unknownTarget(id, config);
  }

  /** The targets a command covers: one with --target, else all of them. */
  async targets(id: string | undefined): Promise<Target[]> {
    if (id !== undefined) return [await this.target(id)];
    return (await this.config()).targets;
  }

  /**
   * Table names: explicit flags, then the Lambdas' own env vars, then PREFIX-{drivers,decisions,state}
   * with the prefix from --table-prefix, DRIVETRAIN_TABLE_PREFIX, or the config's deployment name (which
   * is how the stack and the demo name their tables).
   */
  async tables(): Promise<TableSelection> {
    const explicit = {
      drivers: stringOption(this.parsed, 'drivers-table') ?? this.io.env[ENV.driversTable],
      decisions: stringOption(this.parsed, 'decisions-table') ?? this.io.env[ENV.decisionsTable],
      state: stringOption(this.parsed, 'state-table') ?? this.io.env[ENV.stateTable],
    };
    const history = this.io.env[ENV.historyTable];
    // Named tables without a history name: the history table sits next to the drivers table, as the stack names it.
    if (explicit.drivers && explicit.decisions && explicit.state)
      return {
        ...explicit,
        history: history ?? `${explicit.drivers.replace(/-drivers$/, '')}-history`,
      } as TableSelection;
    const prefix =
      stringOption(this.parsed, 'table-prefix') ?? this.io.env[TABLE_PREFIX_ENV] ?? (await this.defaultPrefix());
    return {
      drivers: explicit.drivers ?? `${prefix}-drivers`,
      decisions: explicit.decisions ?? `${prefix}-decisions`,
      state: explicit.state ?? `${prefix}-state`,
      history: history ?? `${prefix}-history`,
    };
  }

  /**
   * Without --table-prefix: the config file's deployment name. A read command needs no file (it reads the
   * deployed config), so without one it takes the demo's prefix with --local, and otherwise asks for a prefix.
   */
  private async defaultPrefix(): Promise<string> {
    if (!readsDeployedConfig(this.command, this.parsed) || existsSync(this.configFile()))
      return (await this.fileConfig()).name;
    if (this.local) return LOCAL_DEFAULT_PREFIX;
    throw new UsageError(
      `no config file ${this.displayPath(this.configFile())} and no table prefix: pass --table-prefix NAME (or set ${TABLE_PREFIX_ENV}), the deployment's name that prefixes its tables, or --config FILE`,
      this.command,
    );
  }

  private endpoint(): string | undefined {
    return stringOption(this.parsed, 'endpoint') ?? (this.local ? LOCAL_ENDPOINT : undefined);
  }

  /** `DynamoDB Local at http://…` / `DynamoDB in eu-west-1` / `EventBridge`, for error messages. */
  where(service: 'dynamodb' | 'eventbridge' | 'sts' = 'dynamodb'): string {
    if (service !== 'dynamodb') {
      const region = stringOption(this.parsed, 'region');
      return `${service === 'sts' ? 'STS' : 'EventBridge'}${region ? ` in ${region}` : ''}`;
    }
    const endpoint = this.endpoint();
    if (this.local) return `DynamoDB Local at ${endpoint}`;
    const region = stringOption(this.parsed, 'region');
    return endpoint ? `DynamoDB at ${endpoint}` : `DynamoDB${region ? ` in ${region}` : ''}`;
  }

  private awsClientConfig() {
    const region = stringOption(this.parsed, 'region');
    const profile = stringOption(this.parsed, 'profile');
    return {
      // The SDK resolves region and credentials from AWS_REGION/AWS_PROFILE and the shared config itself;
      // passing `profile` selects the profile for both, exactly like AWS_PROFILE would.
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
    };
  }

  dynamo(): DynamoDBDocumentClient {
    if (!this.documentClient) {
      let client = this.io.clients?.dynamodb;
      if (!client) {
        const endpoint = this.endpoint();
        client = this.local
          ? new DynamoDBClient({
              region: stringOption(this.parsed, 'region') ?? LOCAL_REGION,
              credentials: LOCAL_CREDENTIALS,
              endpoint: endpoint!,
              maxAttempts: 2,
            })
          : new DynamoDBClient({ ...this.awsClientConfig(), ...(endpoint ? { endpoint } : {}) });
        this.owned.push(client);
      }
      this.documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    }
    return this.documentClient;
  }

  eventBridge(): EventBridgeClient {
    if (!this.eventBridgeClient) {
      let client = this.io.clients?.eventBridge;
      if (!client) {
        client = new EventBridgeClient(this.awsClientConfig());
        this.owned.push(client);
      }
      this.eventBridgeClient = client;
    }
    return this.eventBridgeClient;
  }

  /**
   * The ARN of whoever runs the CLI (STS GetCallerIdentity): the principal an override is recorded under
   * when --principal is not given. AWS resolves it from the same credentials PutEvents is signed with.
   */
  async callerArn(): Promise<string> {
    if (!this.stsClient) {
      this.stsClient = this.io.clients?.sts ?? new STSClient(this.awsClientConfig());
      if (!this.io.clients?.sts) this.owned.push(this.stsClient);
    }
    const client = this.stsClient;
    const identity = await this.aws(
      'looking up your IAM principal (STS GetCallerIdentity)',
      () => client.send(new GetCallerIdentityCommand({})),
      'sts',
    );
    if (!identity.Arn) throw new Error('STS GetCallerIdentity returned no ARN');
    return identity.Arn;
  }

  /**
   * The operator endpoint client: --operator-url (or DRIVETRAIN_OPERATOR_URL, the stack output
   * OperatorEndpointUrl), requests signed with the SDK's default credential chain (--profile honoured).
   */
  async operatorClient(): Promise<OperatorClient> {
    if (this.io.clients?.operator) return this.io.clients.operator;
    const url = stringOption(this.parsed, 'operator-url') ?? this.io.env[OPERATOR_URL_ENV];
    if (!url) {
      throw new UsageError(
        `--operator-url URL is required (or set ${OPERATOR_URL_ENV}): the stack output OperatorEndpointUrl, e.g. aws cloudformation describe-stacks --stack-name Drivetrain-<name> --query "Stacks[0].Outputs[?OutputKey=='OperatorEndpointUrl'].OutputValue"`,
        this.command,
      );
    }
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    const profile = stringOption(this.parsed, 'profile');
    return new OperatorClient({ url, credentials: defaultProvider(profile ? { profile } : {}) });
  }

  /** Sends one request to the operator endpoint with the progress indicator; unreachable or unsigned is explained. */
  async operator(label: string, request: OperatorRequest): Promise<OperatorReply> {
    const client = await this.operatorClient();
    try {
      return await this.progress.run(label, () => client.send(request));
    } catch (error) {
      if (error instanceof CommandError) throw error;
      const name = (error as Error).name;
      if (name === 'CredentialsProviderError')
        throw new CommandError('no AWS credentials to sign the request with', [
          'configure credentials as for any AWS tool (--profile, AWS_PROFILE, SSO, environment)',
        ]);
      throw new CommandError(`cannot reach the operator endpoint: ${(error as Error).message}`);
    }
  }

  /**
   * The read-only resource ports `validate --live` checks bounds against, on the same region/profile as
   * every other command; the SDK clients load only then (no other command pays for them).
   */
  async livePorts(): Promise<LivePorts> {
    const [
      { AutoScalingClient },
      { LambdaClient },
      { Route53Client },
      { ElasticLoadBalancingV2Client },
      { ApplicationAutoScalingClient },
      { EC2Client },
      { ServiceQuotasClient },
      { AwsEc2QuotaAdapter },
      adapters,
    ] = await Promise.all([
      import('@aws-sdk/client-auto-scaling'),
      import('@aws-sdk/client-lambda'),
      import('@aws-sdk/client-route-53'),
      import('@aws-sdk/client-elastic-load-balancing-v2'),
      import('@aws-sdk/client-application-auto-scaling'),
      import('@aws-sdk/client-ec2'),
      import('@aws-sdk/client-service-quotas'),
      import('../functions/adapters/aws/ec2-quota'),
      import('../functions/adapters/aws'),
    ]);
    const own = <T extends { destroy(): void }>(injected: T | undefined, make: () => T): T => {
      if (injected) return injected;
      const client = make();
      this.owned.push(client);
      return client;
    };
    const config = this.awsClientConfig();
    return {
      autoScaling: new adapters.AwsAutoScalingAdapter(
        own(this.io.clients?.autoScaling, () => new AutoScalingClient(config)),
      ),
      lambda: new adapters.AwsLambdaLimitsAdapter(own(this.io.clients?.lambda, () => new LambdaClient(config))),
      // Route 53 is global; its API lives in us-east-1 whatever the profile's region.
      routing: new adapters.AwsWeightedRoutingAdapter(
        own(this.io.clients?.route53, () => new Route53Client({ ...config, region: 'us-east-1' })),
      ),
      alb: new adapters.AwsAlbRoutingAdapter(
        own(this.io.clients?.elbv2, () => new ElasticLoadBalancingV2Client(config)),
      ),
      applicationAutoScaling: new adapters.AwsApplicationAutoScalingAdapter(
        own(this.io.clients?.applicationAutoScaling, () => new ApplicationAutoScalingClient(config)),
      ),
      ec2Quota: new AwsEc2QuotaAdapter({
        quotas: own(this.io.clients?.serviceQuotas, () => new ServiceQuotasClient(config)),
        ec2: own(this.io.clients?.ec2, () => new EC2Client(config)),
        autoScaling: own(this.io.clients?.autoScaling, () => new AutoScalingClient(config)),
      }),
    };
  }

  // The stores load on first use: `validate` and `put-driver` never pay for the DynamoDB adapters.
  async driverStore(): Promise<DriverStore> {
    if (!this.drivers) {
      const { DynamoDriverStore } = await import('../functions/adapters/dynamodb/driver-store');
      this.drivers = new DynamoDriverStore(this.dynamo(), (await this.tables()).drivers);
    }
    return this.drivers;
  }

  async decisionStore(): Promise<DecisionStore> {
    if (!this.decisions) {
      const { DynamoDecisionStore } = await import('../functions/adapters/dynamodb/decision-store');
      const tables = await this.tables();
      const config = await this.config();
      this.decisions = new DynamoDecisionStore(this.dynamo(), {
        decisionsTable: tables.decisions,
        stateTable: tables.state,
        retentionDays: config.decisionRetentionDays,
        // Lets a mode change be recorded for a target that has never been decided yet.
        targets: config.targets,
      });
    }
    return this.decisions;
  }

  /** Runs an AWS call with the progress indicator and turns known failures into explained errors. */
  async aws<T>(
    label: string,
    work: () => Promise<T>,
    service: 'dynamodb' | 'eventbridge' | 'sts' = 'dynamodb',
  ): Promise<T> {
    try {
      return await this.progress.run(label, work);
    } catch (error) {
      const tables = service === 'dynamodb' ? await this.tables().then(Object.values, () => undefined) : undefined;
      const local = service === 'dynamodb' && this.local;
      const profile = local ? undefined : (stringOption(this.parsed, 'profile') ?? this.io.env.AWS_PROFILE);
      throw explainAwsError(error, { where: this.where(service), local, profile, ...(tables ? { tables } : {}) });
    }
  }

  dispose(): void {
    for (const client of this.owned) client.destroy();
  }
}

export function unknownTarget(id: string, config: DrivetrainConfig): CommandError {
  const known = config.targets.map((t) => t.id);
  const guess = suggest(id, known);
  return new CommandError(`unknown target "${id}"${guess ? ` (did you mean "${guess}"?)` : ''}`, [
    `known targets: ${known.join(', ')}`,
  ]);
}
