/**
 * A simulated AWS account for the demo, the replay and the benchmark: it implements the AWS ports of
 * functions/ports (Auto Scaling, Lambda provisioned concurrency, Route 53 weighted records) on a virtual
 * clock, with the delays that make allocation hard in real life:
 *   - an Auto Scaling instance serves traffic only after its warmup (boot + application start);
 *   - provisioned concurrency is IN_PROGRESS for minutes before it is READY;
 *   - Route 53 weights apply at once (DNS caching is the client's problem, not the control plane's).
 * It validates requests the way the real APIs do (so an executor bug shows up here, not in production)
 * and records every mutating call for the report and the tests.
 */
import type {
  ApplicationAutoScalingPort,
  AlbRoutingPort,
  AutoScalingGroupCapacity,
  AutoScalingPort,
  FailedScalingActivity,
  OwnScaling,
  ProvisionedConcurrency,
  ProvisionedConcurrencyPort,
  ScalableTargetCapacity,
  ScalableTargetRef,
  WeightedRecord,
  WeightedRoutingPort,
} from '../../functions/ports';
import type { DrivetrainConfig } from '../../functions/domain/config';
import type { Allocation } from '../../functions/domain/model';
import { simulatorModel } from './models';

/** The AWS API each mutating call stands for. */
export type FleetApi =
  | 'SetDesiredCapacity'
  | 'UpdateAutoScalingGroup'
  | 'RegisterScalableTarget'
  | 'PutProvisionedConcurrencyConfig'
  | 'DeleteProvisionedConcurrencyConfig'
  | 'ChangeResourceRecordSets'
  | 'ModifyRule';

export interface FleetCall {
  at: number;
  api: FleetApi;
  /** ASG name, `function:qualifier`, `zone/record/type`, or a listener rule ARN. */
  resource: string;
  request: Record<string, unknown>;
}

/**
 * Shaped like the SDK's ServiceException (AWS error code as `name`, `$fault`, `$metadata.httpStatusCode`,
 * `$retryable` on throttling and server faults) so the executors classify it exactly as they classify AWS.
 */
export class SimulatedAwsError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };
  readonly $retryable?: { throttling: boolean };

  constructor(
    override readonly name: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    const throttling = /throttl/i.test(name);
    this.$fault = retryable && !throttling ? 'server' : 'client';
    this.$metadata = { httpStatusCode: throttling ? 400 : retryable ? 503 : 400 };
    if (retryable) this.$retryable = { throttling };
  }
}

export interface FleetOptions {
  /** Virtual clock, epoch seconds. */
  now: () => number;
  /** InService → serving traffic (EC2 boot + app start). 300 s is a typical default instance warmup. */
  instanceWarmupSeconds?: number;
  /** PutProvisionedConcurrencyConfig → READY. AWS documents this as taking "a few minutes". */
  provisionedConcurrencyReadySeconds?: number;
}

interface Instance {
  id: string;
  launchedAt: number;
  /** Infinity for a launch that failed: it never serves. */
  readyAt: number;
}

interface Group {
  min: number;
  max: number;
  instances: Instance[];
  /** Launches still to fail (failLaunches), with the StatusMessage AWS would give. */
  launchFailures: string[];
  failedActivities: FailedScalingActivity[];
}

interface ConcurrencyConfig {
  requested: number;
  /** Allocation serving invocations until the pending request is READY. */
  previouslyAllocated: number;
  readyAt: number;
}

export interface GroupStatus extends AutoScalingGroupCapacity {
  /** Instances past their warmup: the capacity that actually serves traffic. */
  inService: number;
  /** Instances launched but still warming up (billed, not serving). */
  warming: number;
}

export interface FleetSnapshot {
  at: number;
  groups: Record<string, GroupStatus>;
  functions: Record<string, ProvisionedConcurrency | undefined>;
  records: Record<string, Record<string, number>>;
}

/** A scalable target's capacity: its bounds and the capacity the service runs (which its own policies move). */
export interface ScalableTargetStatus extends ScalableTargetCapacity {
  capacity: number;
}

export function scalableTargetKey(ref: ScalableTargetRef): string {
  return `${ref.serviceNamespace}/${ref.resourceId}/${ref.scalableDimension}`;
}

export function recordKey(record: WeightedRecord): string {
  return `${record.hostedZoneId}/${record.recordName}/${record.recordType}`;
}

function functionKey(functionName: string, qualifier: string): string {
  return `${functionName}:${qualifier}`;
}

/** Route 53 weights are 0-255 (ResourceRecordSet.Weight). */
const MAX_ROUTE53_WEIGHT = 255;
/**
 * How long a simulated Route 53 change stays PENDING. AWS says changes generally propagate to all its name
 * servers within 60 seconds; half that keeps a one-minute tick's follow-through settling on the next tick.
 */
const ROUTE53_PROPAGATION_SECONDS = 30;
/** ALB target group weights in a forward action are 0-999. */
const MAX_ALB_WEIGHT = 999;
/** Default account concurrency limit: provisioned concurrency can never exceed it. */
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;

export class SimulatedFleet {
  readonly calls: FleetCall[] = [];
  readonly autoScaling: AutoScalingPort;
  readonly applicationAutoScaling: ApplicationAutoScalingPort;
  readonly provisionedConcurrency: ProvisionedConcurrencyPort;
  readonly routing: WeightedRoutingPort;
  readonly albRouting: AlbRoutingPort;
  readonly instanceWarmupSeconds: number;
  readonly provisionedConcurrencyReadySeconds: number;

  readonly #now: () => number;
  readonly #groups = new Map<string, Group>();
  readonly #scalableTargets = new Map<string, ScalableTargetStatus>();
  /** The simulated resources' own scaling policies (none unless a test or scenario adds some). */
  readonly #ownScaling = new Map<string, OwnScaling>();
  readonly #functions = new Map<string, ConcurrencyConfig | undefined>();
  readonly #records = new Map<string, Record<string, number>>();
  /** Route 53 changes by id: when each was submitted (INSYNC ROUTE53_PROPAGATION_SECONDS later). */
  readonly #changes = new Map<string, number>();
  /** ALB listener rules: forward weights by target group ARN. */
  readonly #rules = new Map<string, Record<string, number>>();
  readonly #failures: Array<{ api: FleetApi; error: Error }> = [];
  #nextInstance = 1;

  constructor(options: FleetOptions) {
    this.#now = options.now;
    this.instanceWarmupSeconds = nonNegative(options.instanceWarmupSeconds ?? 300, 'instanceWarmupSeconds');
    this.provisionedConcurrencyReadySeconds = nonNegative(
      options.provisionedConcurrencyReadySeconds ?? 180,
      'provisionedConcurrencyReadySeconds',
    );
    this.autoScaling = {
      describe: async (groupName) => this.describeGroup(groupName),
      setCapacity: async (groupName, change) => this.setGroupCapacity(groupName, change),
      failedActivities: async (groupName, since) =>
        this.#group(groupName).failedActivities.filter((a) => a.at >= since),
      setMinSize: async (groupName, min) => this.setGroupMinSize(groupName, min),
      ownScaling: async (groupName) => this.ownScaling(groupName),
    };
    this.applicationAutoScaling = {
      describe: async (ref) => {
        const found = this.#scalableTargets.get(scalableTargetKey(ref));
        return found && { min: found.min, max: found.max };
      },
      setMinCapacity: async (ref, min) => this.setScalableTargetMin(ref, min),
      ownScaling: async (ref) => this.ownScaling(scalableTargetKey(ref)),
    };
    this.provisionedConcurrency = {
      get: async (functionName, qualifier) => this.concurrency(functionName, qualifier),
      put: async (functionName, qualifier, units) => this.putConcurrency(functionName, qualifier, units),
      remove: async (functionName, qualifier) => this.removeConcurrency(functionName, qualifier),
    };
    this.routing = {
      getWeights: async (record) => this.weights(record),
      setWeights: async (record, weights, options) => this.changeWeights(record, weights, options?.comment),
      changeStatus: async (changeId) => this.changeStatus(changeId),
    };
    this.albRouting = {
      getWeights: async (ruleArn) => this.albWeights(ruleArn),
      setWeights: async (ruleArn, weights) => this.changeAlbWeights(ruleArn, weights),
    };
  }

  /** Creates the resources every target of a config controls; ASGs start at `initial` (default bounds.min), already warm. */
  static fromConfig(
    config: Pick<DrivetrainConfig, 'targets'>,
    options: FleetOptions & { initial?: Record<string, number> },
  ): SimulatedFleet {
    const fleet = new SimulatedFleet(options);
    for (const target of config.targets) {
      const { resource, policy } = target;
      const initial = options.initial?.[target.id];
      const allocation: Allocation | undefined =
        initial === undefined ? undefined : { kind: 'capacity', desired: initial, floor: policy.bounds.min };
      simulatorModel(resource).seed(fleet, resource, policy, allocation);
    }
    return fleet;
  }

  addAutoScalingGroup(name: string, capacity: AutoScalingGroupCapacity): void {
    if (capacity.min > capacity.desired || capacity.desired > capacity.max) {
      throw new RangeError(
        `group ${name}: need min <= desired <= max, got ${capacity.min}/${capacity.desired}/${capacity.max}`,
      );
    }
    const instances = Array.from({ length: capacity.desired }, () => this.#launch(-Infinity));
    this.#groups.set(name, {
      min: capacity.min,
      max: capacity.max,
      instances,
      launchFailures: [],
      failedActivities: [],
    });
  }

  /** Registers a function alias; `initial` creates a provisioned concurrency config that is already READY. */
  addFunction(functionName: string, qualifier: string, initial?: number): void {
    this.#functions.set(
      functionKey(functionName, qualifier),
      initial ? { requested: initial, previouslyAllocated: initial, readyAt: -Infinity } : undefined,
    );
  }

  addWeightedRecord(record: WeightedRecord, weights: Record<string, number>): void {
    this.#records.set(recordKey(record), { ...weights });
  }

  /** The next call to `api` throws `error` (throttling, outages): for testing the executors' error paths. */
  failNext(api: FleetApi, error: Error): void {
    this.#failures.push({ api, error });
  }

  /**
   * The next `count` instance launches of the group fail with `cause` (e.g. an insufficient-capacity error):
   * the instances stay counted in DesiredCapacity but never serve, and a failed scaling activity is recorded.
   */
  failLaunches(name: string, count: number, cause: string): void {
    const group = this.#group(name);
    for (let i = 0; i < count; i++) group.launchFailures.push(cause);
  }

  groupStatus(name: string): GroupStatus {
    const group = this.#group(name);
    const now = this.#now();
    const inService = group.instances.filter((i) => i.readyAt <= now).length;
    return {
      desired: group.instances.length,
      min: group.min,
      max: group.max,
      inService,
      warming: group.instances.length - inService,
    };
  }

  snapshot(): FleetSnapshot {
    const groups: FleetSnapshot['groups'] = {};
    for (const name of this.#groups.keys()) groups[name] = this.groupStatus(name);
    const functions: FleetSnapshot['functions'] = {};
    for (const key of this.#functions.keys()) {
      const [fn, qualifier] = splitFunctionKey(key);
      functions[key] = this.concurrency(fn, qualifier);
    }
    const records: FleetSnapshot['records'] = {};
    for (const [key, weights] of this.#records) records[key] = { ...weights };
    return { at: this.#now(), groups, functions, records };
  }

  // ---- Auto Scaling ------------------------------------------------------------------------------------

  describeGroup(name: string): AutoScalingGroupCapacity | undefined {
    const group = this.#groups.get(name);
    if (!group) return undefined;
    const now = this.#now();
    const inService = group.instances.filter((i) => i.readyAt <= now).length;
    return { desired: group.instances.length, min: group.min, max: group.max, inService };
  }

  setGroupCapacity(name: string, change: { desired: number; min?: number }): void {
    const api: FleetApi = change.min === undefined ? 'SetDesiredCapacity' : 'UpdateAutoScalingGroup';
    this.#maybeFail(api);
    const group = this.#groups.get(name);
    if (!group)
      throw new SimulatedAwsError(
        'ValidationError',
        `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`,
        false,
      );
    integer(change.desired, 'DesiredCapacity');
    if (change.min !== undefined) integer(change.min, 'MinSize');
    const min = change.min ?? group.min;
    // The same checks (and wording) as the Auto Scaling API: a desired outside [min, max] is refused whole.
    if (change.desired > group.max) {
      throw new SimulatedAwsError(
        'ValidationError',
        `New SetDesiredCapacity value ${change.desired} is above max value ${group.max} for the AutoScalingGroup.`,
        false,
      );
    }
    if (change.desired < min) {
      throw new SimulatedAwsError(
        'ValidationError',
        `New SetDesiredCapacity value ${change.desired} is below min value ${min} for the AutoScalingGroup.`,
        false,
      );
    }
    this.calls.push({
      at: this.#now(),
      api,
      resource: name,
      request:
        change.min === undefined
          ? { AutoScalingGroupName: name, DesiredCapacity: change.desired }
          : { AutoScalingGroupName: name, MinSize: change.min, DesiredCapacity: change.desired },
    });
    group.min = min;
    const now = this.#now();
    while (group.instances.length < change.desired) group.instances.push(this.#launchInto(group, now));
    if (group.instances.length > change.desired) {
      // Instances still warming serve nothing yet, so they go first; then the newest.
      group.instances.sort((a, b) => a.readyAt - b.readyAt || a.launchedAt - b.launchedAt);
      group.instances.length = change.desired;
    }
  }

  /**
   * UpdateAutoScalingGroup with MinSize alone, as EC2 Auto Scaling treats it: a MinSize above the current
   * desired raises desired to it; a lower one leaves desired alone.
   */
  setGroupMinSize(name: string, min: number): void {
    this.#maybeFail('UpdateAutoScalingGroup');
    const group = this.#group(name);
    integer(min, 'MinSize');
    if (min > group.max) {
      throw new SimulatedAwsError('ValidationError', `MinSize ${min} is above MaxSize ${group.max}.`, false);
    }
    this.calls.push({
      at: this.#now(),
      api: 'UpdateAutoScalingGroup',
      resource: name,
      request: { AutoScalingGroupName: name, MinSize: min },
    });
    group.min = min;
    const now = this.#now();
    while (group.instances.length < min) group.instances.push(this.#launch(now));
  }

  /** Scaling policies and scheduled actions of a group (by name) or a scalable target (scalableTargetKey). */
  ownScaling(key: string): OwnScaling {
    const own = this.#ownScaling.get(key);
    return { policies: [...(own?.policies ?? [])], scheduledActions: [...(own?.scheduledActions ?? [])] };
  }

  addOwnScaling(key: string, own: OwnScaling): void {
    this.#ownScaling.set(key, { policies: [...own.policies], scheduledActions: [...own.scheduledActions] });
  }

  // ---- Application Auto Scaling -----------------------------------------------------------------------

  addScalableTarget(ref: ScalableTargetRef, status: ScalableTargetStatus): void {
    if (status.min > status.capacity || status.capacity > status.max) {
      throw new RangeError(`scalable target ${scalableTargetKey(ref)}: need min <= capacity <= max`);
    }
    this.#scalableTargets.set(scalableTargetKey(ref), { ...status });
  }

  scalableTargetStatus(ref: ScalableTargetRef): ScalableTargetStatus {
    const found = this.#scalableTargets.get(scalableTargetKey(ref));
    if (!found) throw new RangeError(`no scalable target ${scalableTargetKey(ref)}`);
    return { ...found };
  }

  /** RegisterScalableTarget naming MinCapacity only; AAS scales the capacity out to a MinCapacity above it. */
  setScalableTargetMin(ref: ScalableTargetRef, min: number): void {
    this.#maybeFail('RegisterScalableTarget');
    const key = scalableTargetKey(ref);
    const found = this.#scalableTargets.get(key);
    if (!found) throw new SimulatedAwsError('ObjectNotFoundException', `No scalable target ${key}`, false);
    integer(min, 'MinCapacity');
    if (min > found.max) {
      throw new SimulatedAwsError(
        'ValidationException',
        `Minimum capacity ${min} cannot be greater than maximum capacity ${found.max}`,
        false,
      );
    }
    this.calls.push({
      at: this.#now(),
      api: 'RegisterScalableTarget',
      resource: key,
      request: {
        ServiceNamespace: ref.serviceNamespace,
        ResourceId: ref.resourceId,
        ScalableDimension: ref.scalableDimension,
        MinCapacity: min,
      },
    });
    this.#scalableTargets.set(key, { ...found, min, capacity: Math.max(found.capacity, min) });
  }

  // ---- Lambda provisioned concurrency ------------------------------------------------------------------

  concurrency(functionName: string, qualifier: string): ProvisionedConcurrency | undefined {
    const config = this.#function(functionName, qualifier);
    if (!config) return undefined;
    if (this.#now() >= config.readyAt)
      return { requested: config.requested, allocated: config.requested, status: 'READY' };
    return { requested: config.requested, allocated: config.previouslyAllocated, status: 'IN_PROGRESS' };
  }

  putConcurrency(functionName: string, qualifier: string, units: number): void {
    this.#maybeFail('PutProvisionedConcurrencyConfig');
    const key = functionKey(functionName, qualifier);
    const current = this.#function(functionName, qualifier);
    integer(units, 'ProvisionedConcurrentExecutions');
    if (units < 1) {
      throw new SimulatedAwsError(
        'ValidationException',
        `1 validation error detected: Value '${units}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1`,
        false,
      );
    }
    if (units > DEFAULT_ACCOUNT_CONCURRENCY) {
      throw new SimulatedAwsError(
        'InvalidParameterValueException',
        `Requested provisioned concurrency ${units} exceeds the account's concurrency limit (${DEFAULT_ACCOUNT_CONCURRENCY}).`,
        false,
      );
    }
    const allocatedNow = current ? (this.concurrency(functionName, qualifier)?.allocated ?? 0) : 0;
    this.calls.push({
      at: this.#now(),
      api: 'PutProvisionedConcurrencyConfig',
      resource: key,
      request: { FunctionName: functionName, Qualifier: qualifier, ProvisionedConcurrentExecutions: units },
    });
    this.#functions.set(key, {
      requested: units,
      previouslyAllocated: allocatedNow,
      readyAt: this.#now() + this.provisionedConcurrencyReadySeconds,
    });
  }

  removeConcurrency(functionName: string, qualifier: string): void {
    this.#maybeFail('DeleteProvisionedConcurrencyConfig');
    const key = functionKey(functionName, qualifier);
    // Deleting a config that is already gone changes nothing, so nothing is recorded.
    if (!this.#function(functionName, qualifier)) return;
    this.calls.push({
      at: this.#now(),
      api: 'DeleteProvisionedConcurrencyConfig',
      resource: key,
      request: { FunctionName: functionName, Qualifier: qualifier },
    });
    this.#functions.set(key, undefined);
  }

  // ---- Route 53 ----------------------------------------------------------------------------------------

  weights(record: WeightedRecord): Record<string, number> {
    return { ...this.#record(record) };
  }

  /** GetChange: PENDING for ROUTE53_PROPAGATION_SECONDS after the change, INSYNC after; unknown ids: NoSuchChange. */
  changeStatus(changeId: string): 'PENDING' | 'INSYNC' | undefined {
    const at = this.#changes.get(changeId);
    if (at === undefined) return undefined;
    return this.#now() - at >= ROUTE53_PROPAGATION_SECONDS ? 'INSYNC' : 'PENDING';
  }

  changeWeights(record: WeightedRecord, weights: Record<string, number>, comment?: string): { changeId?: string } {
    this.#maybeFail('ChangeResourceRecordSets');
    const current = this.#record(record);
    const changes: Array<{ SetIdentifier: string; Weight: number }> = [];
    for (const [setIdentifier, weight] of Object.entries(weights)) {
      if (!(setIdentifier in current)) {
        // An UPSERT of an unknown SetIdentifier would create a record with no target: refuse it whole.
        throw new SimulatedAwsError(
          'InvalidChangeBatch',
          `[Tried to change weight of ${setIdentifier} in ${record.recordName}, but no record with that SetIdentifier exists]`,
          false,
        );
      }
      if (!Number.isInteger(weight) || weight < 0 || weight > MAX_ROUTE53_WEIGHT) {
        throw new SimulatedAwsError(
          'InvalidInput',
          `Invalid weight ${weight} for ${setIdentifier}: must be an integer from 0 to ${MAX_ROUTE53_WEIGHT}`,
          false,
        );
      }
      if (current[setIdentifier] !== weight) changes.push({ SetIdentifier: setIdentifier, Weight: weight });
    }
    if (changes.length === 0) return {};
    const changeId = `/change/C${String(this.#changes.size + 1).padStart(12, '0')}`;
    this.#changes.set(changeId, this.#now());
    this.calls.push({
      at: this.#now(),
      api: 'ChangeResourceRecordSets',
      resource: recordKey(record),
      request: {
        HostedZoneId: record.hostedZoneId,
        ...(comment ? { Comment: comment } : {}),
        Changes: changes.map((c) => ({ Action: 'UPSERT', ...c })),
      },
    });
    for (const change of changes) current[change.SetIdentifier] = change.Weight;
    return { changeId };
  }

  addAlbRule(listenerRuleArn: string, weightsByArn: Record<string, number>): void {
    this.#rules.set(listenerRuleArn, { ...weightsByArn });
  }

  albWeights(listenerRuleArn: string): Record<string, number> {
    return { ...this.#rule(listenerRuleArn) };
  }

  /** ModifyRule of the forward action's weights (ELB takes 0-999 per target group). */
  changeAlbWeights(listenerRuleArn: string, weightsByArn: Record<string, number>): void {
    this.#maybeFail('ModifyRule');
    const current = this.#rule(listenerRuleArn);
    for (const [arn, weight] of Object.entries(weightsByArn)) {
      if (!(arn in current))
        throw new SimulatedAwsError('TargetGroupNotFound', `One or more target groups not found: ${arn}`, false);
      if (!Number.isInteger(weight) || weight < 0 || weight > MAX_ALB_WEIGHT)
        throw new SimulatedAwsError('ValidationError', `Invalid weight ${weight}: must be 0-${MAX_ALB_WEIGHT}`, false);
    }
    const changed = Object.entries(weightsByArn).filter(([arn, weight]) => current[arn] !== weight);
    if (changed.length === 0) return;
    const next = { ...current, ...weightsByArn };
    this.calls.push({
      at: this.#now(),
      api: 'ModifyRule',
      resource: listenerRuleArn,
      request: {
        RuleArn: listenerRuleArn,
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: Object.entries(next).map(([arn, w]) => ({ TargetGroupArn: arn, Weight: w })),
            },
          },
        ],
      },
    });
    this.#rules.set(listenerRuleArn, next);
  }

  // ---- internals -----------------------------------------------------------------------------------------

  #launch(now: number): Instance {
    const id = `i-${(this.#nextInstance++).toString(16).padStart(17, '0')}`;
    return { id, launchedAt: now, readyAt: now + this.instanceWarmupSeconds };
  }

  #launchInto(group: Group, now: number): Instance {
    const instance = this.#launch(now);
    const cause = group.launchFailures.shift();
    if (cause === undefined) return instance;
    group.failedActivities.unshift({ at: now, cause });
    return { ...instance, readyAt: Infinity };
  }

  #maybeFail(api: FleetApi): void {
    const index = this.#failures.findIndex((f) => f.api === api);
    if (index >= 0) throw this.#failures.splice(index, 1)[0]!.error;
  }

  #group(name: string): Group {
    const group = this.#groups.get(name);
    if (!group)
      throw new SimulatedAwsError(
        'ValidationError',
        `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`,
        false,
      );
    return group;
  }

  #function(functionName: string, qualifier: string): ConcurrencyConfig | undefined {
    const key = functionKey(functionName, qualifier);
    if (!this.#functions.has(key))
      throw new SimulatedAwsError(
        'ResourceNotFoundException',
        `Function not found: ${functionName}:${qualifier}`,
        false,
      );
    return this.#functions.get(key);
  }

  #rule(listenerRuleArn: string): Record<string, number> {
    const weights = this.#rules.get(listenerRuleArn);
    if (!weights) throw new SimulatedAwsError('RuleNotFound', `One or more rules not found: ${listenerRuleArn}`, false);
    return weights;
  }

  #record(record: WeightedRecord): Record<string, number> {
    const weights = this.#records.get(recordKey(record));
    if (!weights)
      throw new SimulatedAwsError(
        'NoSuchHostedZone',
        `No weighted record ${record.recordName} ${record.recordType} in hosted zone ${record.hostedZoneId}`,
        false,
      );
    return weights;
  }
}

function splitFunctionKey(key: string): [string, string] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), key.slice(at + 1)];
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative number of seconds, got ${value}`);
  return value;
}

function integer(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new SimulatedAwsError(
      'ValidationError',
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must be a non-negative integer`,
      false,
    );
  }
}
