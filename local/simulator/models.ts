/**
 * The target-kind registry, simulator layer: how each kind's resource lives in the simulated fleet — created,
 * changed by an action the way its executor changes it, and sampled for replay and the demo. Keyed by every
 * target kind, so a kind without a simulator model does not compile (instead of falling into another kind's
 * branch).
 */
import type { Allocation, Action, Policy, TargetResource } from '../../functions/domain/model';
import {
  configuredResourceWeights,
  isFloorManaged,
  routingEndpoints,
  type TargetKind,
} from '../../functions/domain/target-kinds';
import type { SimulatedFleet } from './fleet';

type ResourceOf<K extends TargetKind> = Extract<TargetResource, { kind: K }>;

export interface TimelineSample {
  t: number;
  /** Capacity targets: the allocation the policy holds (desired) and its pre-warm floor. */
  desired?: number;
  floor?: number;
  /** Capacity actually serving: warm ASG instances, or allocated provisioned concurrency. */
  supply?: number;
  /** Capacity paid for: every launched instance (warming ones too), or requested concurrency. */
  billed?: number;
  /** Routing targets: the weights in force. */
  weights?: Record<string, number>;
  /** With a demand trace: the rate in the step (e.g. requests/s) and the units it needs. */
  load?: number;
  demand?: number;
}

export interface SimulatorModel<K extends TargetKind> {
  /** Creates the resource already holding `allocation` (warm, READY); the policy's resting state without one. */
  seed(fleet: SimulatedFleet, resource: ResourceOf<K>, policy: Policy, allocation: Allocation | undefined): void;
  /** Applies one action as the kind's executor does; false when the action does not fit the kind. */
  apply(fleet: SimulatedFleet, resource: ResourceOf<K>, action: Action): boolean;
  sample(fleet: SimulatedFleet, resource: ResourceOf<K>, current: Allocation | undefined, t: number): TimelineSample;
}

const capacityOf = (allocation: Allocation | undefined) => (allocation?.kind === 'capacity' ? allocation : undefined);

export const SIMULATOR_MODELS: { [K in TargetKind]: SimulatorModel<K> } = {
  'ec2-asg': {
    seed(fleet, resource, policy, allocation) {
      const capacity = capacityOf(allocation) ?? { desired: policy.bounds.min, floor: policy.bounds.min };
      fleet.addAutoScalingGroup(resource.autoScalingGroupName, {
        min: capacity.floor,
        max: policy.bounds.max,
        desired: capacity.desired,
      });
    },
    apply(fleet, resource, action) {
      if (action.type !== 'set-capacity') return false;
      // Floor-managed: MinSize alone, as the executor does; the group raises desired to it when below.
      if (isFloorManaged({ resource })) {
        fleet.setGroupMinSize(resource.autoScalingGroupName, action.floor);
        return true;
      }
      // Floor → MinSize only when it moves, as the executor does.
      const group = fleet.describeGroup(resource.autoScalingGroupName);
      const moveMin = group !== undefined && group.min !== action.floor;
      fleet.setGroupCapacity(
        resource.autoScalingGroupName,
        moveMin ? { desired: action.desired, min: action.floor } : { desired: action.desired },
      );
      return true;
    },
    sample(fleet, resource, current, t) {
      const status = fleet.groupStatus(resource.autoScalingGroupName);
      const held = capacityOf(current);
      return {
        t,
        desired: held ? held.desired : status.desired,
        floor: held ? held.floor : status.min,
        supply: status.inService,
        billed: status.desired,
      };
    },
  },
  'lambda-provisioned-concurrency': {
    seed(fleet, resource, _policy, allocation) {
      const units = capacityOf(allocation)?.desired ?? 0;
      fleet.addFunction(resource.functionName, resource.qualifier, units > 0 ? units : undefined);
    },
    apply(fleet, resource, action) {
      if (action.type !== 'set-capacity') return false;
      // 0 deletes the config, as the executor does.
      if (action.desired === 0) fleet.removeConcurrency(resource.functionName, resource.qualifier);
      else fleet.putConcurrency(resource.functionName, resource.qualifier, action.desired);
      return true;
    },
    sample(fleet, resource, current, t) {
      const pc = fleet.concurrency(resource.functionName, resource.qualifier);
      const held = capacityOf(current);
      return {
        t,
        desired: held ? held.desired : 0,
        floor: held ? held.floor : 0,
        supply: pc?.allocated ?? 0,
        billed: pc?.requested ?? 0,
      };
    },
  },
  'application-auto-scaling': {
    seed(fleet, resource, policy, allocation) {
      const floor = capacityOf(allocation)?.floor ?? policy.bounds.min;
      fleet.addScalableTarget(resource, { min: floor, max: policy.bounds.max, capacity: floor });
    },
    apply(fleet, resource, action) {
      if (action.type !== 'set-capacity') return false;
      // MinCapacity only, as the executor does.
      fleet.setScalableTargetMin(resource, action.floor);
      return true;
    },
    sample(fleet, resource, current, t) {
      const status = fleet.scalableTargetStatus(resource);
      const held = capacityOf(current);
      return {
        t,
        desired: held ? held.desired : status.min,
        floor: held ? held.floor : status.min,
        supply: status.capacity,
        billed: status.capacity,
      };
    },
  },
  'route53-weighted': {
    seed(fleet, resource, _policy, allocation) {
      const weights =
        allocation?.kind === 'weights'
          ? allocation.weights
          : Object.fromEntries(resource.endpoints.map((e) => [e.setIdentifier, e.weight]));
      fleet.addWeightedRecord(resource, weights);
    },
    apply(fleet, resource, action) {
      if (action.type !== 'set-weights') return false;
      fleet.changeWeights(resource, action.weights);
      return true;
    },
    sample(fleet, resource, _current, t) {
      return { t, weights: fleet.weights(resource) };
    },
  },
  'alb-weighted': {
    // The fleet keeps the rule by target group ARN, as ELB does; the engine's weights are keyed by name.
    seed(fleet, resource, _policy, allocation) {
      const endpoints = routingEndpoints(resource)!;
      const byKey = allocation?.kind === 'weights' ? allocation.weights : configuredResourceWeights(resource)!;
      fleet.addAlbRule(
        resource.listenerRuleArn,
        Object.fromEntries(
          resource.targetGroups.map((g, i) => [g.arn, byKey[endpoints[i]!.setIdentifier] ?? g.weight]),
        ),
      );
    },
    apply(fleet, resource, action) {
      if (action.type !== 'set-weights') return false;
      const endpoints = routingEndpoints(resource)!;
      fleet.changeAlbWeights(
        resource.listenerRuleArn,
        Object.fromEntries(
          resource.targetGroups
            .map((g, i) => [g.arn, action.weights[endpoints[i]!.setIdentifier]] as const)
            .filter((entry): entry is readonly [string, number] => entry[1] !== undefined),
        ),
      );
      return true;
    },
    sample(fleet, resource, _current, t) {
      const byArn = fleet.albWeights(resource.listenerRuleArn);
      const endpoints = routingEndpoints(resource)!;
      return {
        t,
        weights: Object.fromEntries(
          resource.targetGroups.map((g, i) => [endpoints[i]!.setIdentifier, byArn[g.arn] ?? 0]),
        ),
      };
    },
  },
};

/**
 * The model of a resource's kind. The compiler cannot correlate `SIMULATOR_MODELS[resource.kind]` with
 * `resource`, so the lookup is widened once here: the table is keyed by kind, so the model always fits.
 */
export function simulatorModel(resource: TargetResource): SimulatorModel<TargetKind> {
  return SIMULATOR_MODELS[resource.kind] as SimulatorModel<TargetKind>;
}
