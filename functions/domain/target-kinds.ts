/**
 * The target-kind registry, domain layer: what the engine, config validation, CLI, replay and reports need to
 * know about each kind of target, in one table the compiler checks for every kind. Adding a kind is one
 * entry here (traits and resource), one in the executor table (functions/executors/index.ts), one in the IAM
 * table (lib/resource-arns.ts) and one in each simulator table (local/); a kind left out of any of them does
 * not compile.
 *
 * The kind of a target is its resource's `kind` (stored once); `targetKind(target)` reads it.
 */
import type { RoutingEndpoint, TargetResource } from './model';

export const TARGET_KINDS = [
  'ec2-asg',
  'lambda-provisioned-concurrency',
  'route53-weighted',
  'alb-weighted',
  'application-auto-scaling',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/**
 * Who owns what on a capacity resource that may have scaling policies of its own. `desired`: Drivetrain sets
 * the capacity itself (and the floor), so the resource must have no policies of its own. `floor`: Drivetrain
 * owns only the floor (ASG MinSize, AAS MinCapacity) — pre-warm, business demand, fallback — and the
 * resource's own policies keep the capacity above it.
 */
export const MANAGE_MODES = ['desired', 'floor'] as const;
export type ManageMode = (typeof MANAGE_MODES)[number];

/** What a decision gives a target: a count (and floor) of units, or integer weights per endpoint. */
export type AllocationShape = 'capacity' | 'weights';

export interface TargetKindTraits {
  shape: AllocationShape;
  /**
   * The resource has a floor of its own (ASG MinSize) that its own scaling honours: a business pre-warm
   * raises it so the resource cannot scale in below planned demand. Kinds without one get floor 0 from
   * the engine unless the policy's bounds give one.
   */
  businessFloor: boolean;
  /** What one unit of allocation is called, for explanations, reports and replay. */
  unit: { plural: string; hours: string };
  /** What the target controls, for describe, validate and error messages. */
  title: string;
  /** Routing kinds only: what their weights are, and where the endpoints sit in the resource (for messages). */
  routing?: { weightsTitle: string; endpointsField: string; keyField: string };
  /**
   * Capacity kinds whose resource can scale itself: the `manage` modes they support, the default, and the
   * names of the two numbers on the resource (for the decision's summary of who owns what).
   */
  manage?: { modes: readonly ManageMode[]; default: ManageMode; floorField: string; capacityField: string };
}

export const TARGET_KIND_TRAITS = {
  'ec2-asg': {
    shape: 'capacity',
    businessFloor: true,
    unit: { plural: 'instances', hours: 'instance-hours' },
    title: 'EC2 Auto Scaling group',
    manage: { modes: MANAGE_MODES, default: 'desired', floorField: 'MinSize', capacityField: 'DesiredCapacity' },
  },
  'lambda-provisioned-concurrency': {
    shape: 'capacity',
    businessFloor: false,
    unit: { plural: 'provisioned concurrency', hours: 'unit-hours' },
    title: 'Lambda provisioned concurrency',
  },
  'route53-weighted': {
    shape: 'weights',
    businessFloor: false,
    unit: { plural: 'weight', hours: 'unit-hours' },
    title: 'Route 53 weighted records',
    routing: { weightsTitle: 'Route 53 weights', endpointsField: 'endpoints', keyField: 'setIdentifier' },
  },
  'application-auto-scaling': {
    shape: 'capacity',
    // MinCapacity is the floor the scalable target's own policies honour, like ASG MinSize.
    businessFloor: true,
    unit: { plural: 'capacity units', hours: 'unit-hours' },
    title: 'Application Auto Scaling scalable target',
    // Floor only: AAS has no "set the current capacity" call. Pinning MinCapacity = MaxCapacity would switch
    // the target's own policies off, and each service's own API (ECS UpdateService, DynamoDB UpdateTable, …)
    // fights AAS when policies exist. See README "Coexisting with native scaling".
    manage: { modes: ['floor'], default: 'floor', floorField: 'MinCapacity', capacityField: 'current capacity' },
  },
  'alb-weighted': {
    shape: 'weights',
    businessFloor: false,
    unit: { plural: 'weight', hours: 'unit-hours' },
    title: 'ALB listener rule forwarding to weighted target groups',
    routing: { weightsTitle: 'ALB target group weights', endpointsField: 'targetGroups', keyField: 'arn' },
  },
} as const satisfies Record<TargetKind, TargetKindTraits>;

/** Compile-time exhaustiveness: a `switch` over a kind ends in `assertNever(kind)`. */
export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

export function kindTraits(kind: TargetKind): TargetKindTraits {
  return TARGET_KIND_TRAITS[kind];
}

/** The target's kind: its resource's (stored once, in the resource). */
export function targetKind(target: { resource: Pick<TargetResource, 'kind'> }): TargetKind {
  return target.resource.kind;
}

export function isRoutingKind(kind: TargetKind): boolean {
  return TARGET_KIND_TRAITS[kind].shape === 'weights';
}

export function isRoutingTarget(target: { resource: Pick<TargetResource, 'kind'> }): boolean {
  return isRoutingKind(target.resource.kind);
}

/**
 * The endpoints a routing resource shares traffic between, keyed by `setIdentifier` (the weights' key in
 * allocations and actions); undefined for capacity resources. The routing engine works only on these.
 */
export function routingEndpoints(resource: TargetResource): readonly RoutingEndpoint[] | undefined {
  switch (resource.kind) {
    case 'ec2-asg':
    case 'lambda-provisioned-concurrency':
    case 'application-auto-scaling':
      return undefined;
    case 'route53-weighted':
      return resource.endpoints;
    case 'alb-weighted':
      return albEndpoints(resource);
    default:
      return assertNever(resource, 'target resource');
  }
}

// Memoized per resource object (configs are parsed once and frozen), so the engine gets the same endpoints
// array on every decision and its per-policy caches stay valid.
const albEndpointCache = new WeakMap<object, readonly RoutingEndpoint[]>();

/**
 * An ALB rule's target groups as routing endpoints, keyed by the target group's name (the `targetgroup/NAME/`
 * part of its ARN: unique per account and region, and what people read in summaries and pass to
 * `--weights`), so decisions say `blue 100→0` rather than a 90-character ARN.
 */
function albEndpoints(resource: Extract<TargetResource, { kind: 'alb-weighted' }>): readonly RoutingEndpoint[] {
  const cached = albEndpointCache.get(resource);
  if (cached) return cached;
  const endpoints = resource.targetGroups.map((group) => ({
    setIdentifier: targetGroupName(group.arn),
    weight: group.weight,
    minShare: group.minShare,
    drainOn: group.drainOn,
  }));
  albEndpointCache.set(resource, endpoints);
  return endpoints;
}

/** `arn:…:targetgroup/blue/6d0ecf831eec9f09` → `blue` (the ARN itself when it has no such part). */
export function targetGroupName(arn: string): string {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/** The weights a routing resource is configured with (nothing drained), by endpoint key. */
export function configuredResourceWeights(resource: TargetResource): Record<string, number> | undefined {
  const endpoints = routingEndpoints(resource);
  return endpoints && Object.fromEntries(endpoints.map((e) => [e.setIdentifier, e.weight]));
}

/**
 * How a capacity resource is managed: its `manage` field, or its kind's default. Kinds whose resource cannot
 * scale itself (Lambda provisioned concurrency, routing) are always `desired`.
 */
export function manageMode(resource: TargetResource): ManageMode {
  const manage = 'manage' in resource ? resource.manage : undefined;
  return manage ?? kindTraits(resource.kind).manage?.default ?? 'desired';
}

export function isFloorManaged(target: { resource: TargetResource }): boolean {
  return manageMode(target.resource) === 'floor';
}
