/**
 * The canonical vocabulary of Drivetrain. Every schema here is the single source of truth for its type:
 * the TypeScript types are inferred from the zod schemas so runtime validation and compile-time checks
 * can never drift apart.
 *
 * Time is epoch seconds everywhere in the domain (DynamoDB TTL demands seconds, and allocation decisions
 * never need sub-second precision). Edges convert ISO strings and milliseconds on the way in.
 */
import { z } from 'zod';
import { measurementSchema, quantitySchema } from './numbers';
import { MANAGE_MODES, TARGET_KINDS, type TargetKind } from './target-kinds';

export const IDENTIFIER = /^[a-z0-9][a-z0-9-_.]{0,62}$/;
export const identifier = z
  .string()
  .regex(
    IDENTIFIER,
    'must be 1-63 chars of lowercase letters, digits, "-", "_" or "." starting with a letter or digit',
  );

/** Epoch seconds; rejects NaN/Infinity that JSON or arithmetic can smuggle in. */
export const epochSeconds = z.number().finite().nonnegative();

/** Epoch seconds, or an ISO 8601 timestamp with offset (what people write in YAML). */
export const timestamp = z.union(
  [epochSeconds, z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso) / 1000)],
  {
    error:
      'must be epoch seconds or an ISO 8601 timestamp with a UTC offset, e.g. 2026-11-27T08:00:00Z or 2026-11-27T09:00:00+01:00',
  },
);

// The kinds of target and their traits live in the registry (target-kinds.ts); re-exported for callers.
export { TARGET_KINDS, type TargetKind } from './target-kinds';

export const TARGET_MODES = ['enforce', 'shadow', 'paused'] as const;
export const targetModeSchema = z.enum(TARGET_MODES);
export type TargetMode = z.infer<typeof targetModeSchema>;

export const DRIVER_KINDS = ['alarm', 'metric', 'business', 'override'] as const;
export type DriverKind = (typeof DRIVER_KINDS)[number];

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export const alarmStateSchema = z.enum(ALARM_STATES);
export type AlarmState = z.infer<typeof alarmStateSchema>;

// ---------------------------------------------------------------------------------------------------------
// The record schemas (allocations, drivers, target state, decisions) are z.lazy, like the config-only ones
// below: each is built when something first parses with it, not at every cold start. The deployed tick only
// plans shards and never builds them; the other handlers build the ones their first invocation reads.
// ---------------------------------------------------------------------------------------------------------
// Allocation: what a target is given. Capacity targets get a count (instances or provisioned concurrency
// units) and, for pre-warm, a floor; routing targets get integer weights per endpoint.
// ---------------------------------------------------------------------------------------------------------
export const capacityAllocationSchema = z.lazy(() =>
  z.object({
    kind: z.literal('capacity'),
    desired: z.number().int().nonnegative(),
    /** Floor the resource's own scaling must not go below (ASG MinSize) while a pre-warm is active. */
    floor: z.number().int().nonnegative(),
  }),
);
export const weightsAllocationSchema = z.lazy(() =>
  z.object({
    kind: z.literal('weights'),
    /** Route 53 weights (0-255) keyed by the record's SetIdentifier. */
    weights: z.record(z.string(), z.number().int().min(0).max(255)),
  }),
);
export const allocationSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [capacityAllocationSchema, weightsAllocationSchema]),
);
export type CapacityAllocation = z.infer<typeof capacityAllocationSchema>;
export type WeightsAllocation = z.infer<typeof weightsAllocationSchema>;
export type Allocation = z.infer<typeof allocationSchema>;

// ---------------------------------------------------------------------------------------------------------
// Drivers
// ---------------------------------------------------------------------------------------------------------
const driverBase = () => ({
  /** Stable id of this driver instance: the same logical signal (one alarm, one campaign) keeps its id. */
  id: z.string().min(1).max(512),
  /** The driver name policies refer to (declared in the config's driver catalogue). */
  name: identifier,
  /** Who sent it: an EventBridge source such as `aws.cloudwatch` or `com.acme.marketing`. */
  source: z.string().min(1).max(256),
  targets: z.array(identifier).min(1).max(100),
  observedAt: epochSeconds,
  /** Also the DynamoDB TTL attribute. TTL deletion is late, so readers must filter on it too. */
  expiresAt: epochSeconds,
  lineage: z.object({
    eventId: z.string().min(1).max(512),
    /** Where the event came from: eventbridge | lambda-alarm-action | sns | api | replay | simulator. */
    channel: z.string().min(1).max(64),
    receivedAt: epochSeconds,
    /** The observation time the event claimed, when it was later than receivedAt (observedAt is clamped to it). */
    claimedAt: epochSeconds.optional(),
    /**
     * The caller AWS verified (operator endpoint, SigV4): an IAM role ARN for role sessions (what configs
     * match), or the user ARN. Absent for drivers that carry no human identity (alarms, bus events).
     */
    principal: z.string().max(2048).optional(),
    /** The STS role session name of that caller (who assumed the role), kept for the audit trail. */
    session: z.string().max(64).optional(),
  }),
});

export const alarmSignalSchema = z.lazy(() =>
  z.object({
    alarmName: z.string().min(1).max(255),
    state: alarmStateSchema,
    previousState: alarmStateSchema.optional(),
    /** Latest datapoint from reasonData when it was present, parsable and in the measurement range. */
    datapoint: measurementSchema.optional(),
  }),
);

export const metricSignalSchema = z.lazy(() =>
  z.object({
    value: measurementSchema,
    unit: z.string().max(64).optional(),
  }),
);

/**
 * How far ahead capacity must be in place: a week at most, the longest announcement lead any rule takes
 * (a longer one is a schedule, not a pre-warm). One range for business drivers and policy rules alike.
 */
export const leadTimeSecondsSchema = z.lazy(() =>
  z
    .number()
    .int()
    .nonnegative()
    .max(7 * 24 * 3600),
);

export const businessDemandSchema = z.lazy(() =>
  z.union([
    z.object({ multiplier: quantitySchema(1000, { zero: false }) }).strict(),
    z.object({ absolute: quantitySchema(1_000_000, { zero: true }) }).strict(),
  ]),
);

const windowShape = () => ({
  windowStart: epochSeconds,
  windowEnd: epochSeconds,
});

export const businessSignalSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('demand'),
      /** campaign | flash-sale | forecast | … : free text for the audit trail. */
      label: z.string().max(128).optional(),
      demand: businessDemandSchema,
      ...windowShape(),
      /** How long before windowStart capacity must be in place. */
      leadTimeSeconds: leadTimeSecondsSchema.optional(),
    }),
    z.object({
      type: z.literal('budget'),
      /** Free text for the audit trail (e.g. "Q4 spend cap"). */
      label: z.string().max(128).optional(),
      maxHourlyCost: quantitySchema(1_000_000, { zero: true }),
      ...windowShape(),
    }),
    z.object({
      type: z.literal('freeze'),
      /** Free text for the audit trail (e.g. "year-end change freeze"). */
      label: z.string().max(128).optional(),
      ...windowShape(),
    }),
  ]),
);

export const overrideSignalSchema = z.lazy(() =>
  z.discriminatedUnion('action', [
    z.object({ action: z.literal('pin'), allocation: z.number().int().nonnegative() }),
    z.object({ action: z.literal('pin-weights'), weights: z.record(z.string(), z.number().int().min(0).max(255)) }),
    z.object({ action: z.literal('freeze') }),
  ]),
);

export const driverSchema = z.lazy(() =>
  z
    .discriminatedUnion('kind', [
      z.object({ ...driverBase(), kind: z.literal('alarm'), signal: alarmSignalSchema }),
      z.object({ ...driverBase(), kind: z.literal('metric'), signal: metricSignalSchema }),
      z.object({ ...driverBase(), kind: z.literal('business'), signal: businessSignalSchema }),
      z.object({
        ...driverBase(),
        kind: z.literal('override'),
        signal: overrideSignalSchema,
        /** Overrides are people acting: who and why are part of the record, never optional. */
        reason: z.string().min(1).max(512),
      }),
    ])
    .superRefine((driver, ctx) => {
      if (driver.expiresAt <= driver.observedAt) {
        ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after observedAt' });
      }
      if (driver.kind === 'business' && driver.signal.windowEnd <= driver.signal.windowStart) {
        ctx.addIssue({ code: 'custom', path: ['signal', 'windowEnd'], message: 'must be after windowStart' });
      }
    }),
);
export type Driver = z.infer<typeof driverSchema>;
export type AlarmDriver = Extract<Driver, { kind: 'alarm' }>;
export type MetricDriver = Extract<Driver, { kind: 'metric' }>;
export type BusinessDriver = Extract<Driver, { kind: 'business' }>;
export type OverrideDriver = Extract<Driver, { kind: 'override' }>;
export type BusinessSignal = z.infer<typeof businessSignalSchema>;
export type OverrideSignal = z.infer<typeof overrideSignalSchema>;

// ---------------------------------------------------------------------------------------------------------
// Targets: the AWS resource each one controls
// ---------------------------------------------------------------------------------------------------------
// The config-only schemas (targets, resources, policies, rules) are z.lazy: a Lambda that starts from the
// config sealed at synth (functions/config-seal.ts) never parses a config, so it never builds them at cold start.
export const routingEndpointSchema = z.lazy(() =>
  z.object({
    /** The Route 53 record's SetIdentifier. */
    setIdentifier: z.string().min(1).max(128),
    /** Weight when nothing is drained (0-255, as Route 53 allows). */
    weight: z.number().int().min(0).max(255),
    /** Share of traffic (0-1) this endpoint keeps unless an alarm drains it. */
    minShare: z.number().min(0).max(1).default(0),
    /** Alarm driver names that drain this endpoint (weight 0) while in ALARM. */
    drainOn: z.array(identifier).default([]),
  }),
);

/** The Application Auto Scaling service namespaces whose scalable targets have a capacity Drivetrain can floor. */
export const AAS_SERVICE_NAMESPACES = [
  'ecs',
  'dynamodb',
  'rds',
  'sagemaker',
  'elasticache',
  'lambda',
  'ec2',
  'elasticmapreduce',
  'appstream',
  'kafka',
  'neptune',
  'cassandra',
  'comprehend',
  'custom-resource',
  'workspaces',
] as const;
export const albTargetGroupSchema = z.lazy(() =>
  z.object({
    arn: z
      .string()
      .max(1024)
      .regex(
        /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/,
        'must be a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)',
      ),
    /** Weight when nothing is drained (the engine shares 100 points, within ALB's 0-999). */
    weight: z.number().int().min(0).max(255),
    /** Share of traffic (0-1) this target group keeps unless an alarm drains it. */
    minShare: z.number().min(0).max(1).default(0),
    /** Alarm driver names that drain this target group (weight 0) while in ALARM. */
    drainOn: z.array(identifier).default([]),
  }),
);

/**
 * The resource schema of each kind (the registry's resource column): a kind without one does not compile.
 * z.lazy like the other config-only schemas.
 */
export const TARGET_RESOURCE_SCHEMAS = {
  'ec2-asg': z.lazy(() =>
    z.object({
      kind: z.literal('ec2-asg'),
      autoScalingGroupName: z.string().min(1).max(255),
      /** desired (default): DesiredCapacity and MinSize; floor: MinSize only, the group's policies keep desired. */
      manage: z.enum(MANAGE_MODES).optional(),
    }),
  ),
  'lambda-provisioned-concurrency': z.lazy(() =>
    z.object({
      kind: z.literal('lambda-provisioned-concurrency'),
      functionName: z.string().min(1).max(140),
      /** Alias or version; provisioned concurrency cannot be put on $LATEST. */
      qualifier: z
        .string()
        .min(1)
        .max(128)
        .refine((q) => q !== '$LATEST', 'provisioned concurrency needs an alias or a published version, not $LATEST'),
    }),
  ),
  'route53-weighted': z.lazy(() =>
    z.object({
      kind: z.literal('route53-weighted'),
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABC'),
      recordName: z.string().min(1).max(255),
      recordType: z.enum(['A', 'AAAA', 'CNAME', 'TXT']),
      endpoints: z.array(routingEndpointSchema).min(2).max(32),
    }),
  ),
  'application-auto-scaling': z.lazy(() =>
    z.object({
      kind: z.literal('application-auto-scaling'),
      serviceNamespace: z.enum(AAS_SERVICE_NAMESPACES),
      /** The scalable target's ResourceId, e.g. service/my-cluster/my-service or table/orders. */
      resourceId: z.string().min(1).max(1600),
      /** e.g. ecs:service:DesiredCount; its prefix must be the service namespace. */
      scalableDimension: z.string().regex(/^[a-z-]+:[A-Za-z-]+:[A-Za-z]+$/, 'must look like ecs:service:DesiredCount'),
      manage: z
        .enum(['floor'], {
          error:
            'application-auto-scaling targets support manage: floor only (MinCapacity); AAS has no call that sets ' +
            "the current capacity without switching the target's own policies off",
        })
        .optional(),
    }),
  ),
  'alb-weighted': z.lazy(() =>
    z.object({
      kind: z.literal('alb-weighted'),
      /** The listener rule whose forward action shares traffic between the target groups. */
      listenerRuleArn: z
        .string()
        .max(1024)
        .regex(
          /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+\/[0-9a-f]+$/,
          'must be an Application Load Balancer listener rule ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/…); the default rule of a listener has no rule ARN Drivetrain can modify',
        ),
      // ALB forwards to at most 5 target groups per action (weights 0-999); Drivetrain's 0-255 weights fit.
      targetGroups: z.array(albTargetGroupSchema).min(2).max(5),
    }),
  ),
} satisfies { [K in TargetKind]: z.ZodLazy<z.ZodObject<{ kind: z.ZodLiteral<K> }>> };

export const targetResourceSchema = z.lazy(() =>
  z.discriminatedUnion(
    'kind',
    TARGET_KINDS.map((kind) => TARGET_RESOURCE_SCHEMAS[kind]) as unknown as [
      (typeof TARGET_RESOURCE_SCHEMAS)[TargetKind],
      ...(typeof TARGET_RESOURCE_SCHEMAS)[TargetKind][],
    ],
  ),
);
export type TargetResource = z.infer<typeof targetResourceSchema>;
export type RoutingEndpoint = z.infer<typeof routingEndpointSchema>;

// ---------------------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------------------
export const FORECAST_MODES = ['shadow', 'enforce'] as const;
export const forecastSchema = z.lazy(() =>
  z
    .object({
      mode: z.enum(FORECAST_MODES).default('shadow'),
      /**
       * How far ahead capacity must be in place: the time a new unit takes to serve. 600 s covers EC2's launch
       * plus the 300 s default instance warmup Auto Scaling documents; set your own measured time to serve.
       */
      leadTimeSeconds: z
        .union([
          z
            .number()
            .int()
            .min(60)
            .max(6 * 3600),
          /** The target's measured p90 time to serve (functions/domain/warmup.ts). */
          z.literal('auto'),
        ])
        .default(600),
    })
    .strict(),
);
export type ForecastOptions = z.infer<typeof forecastSchema>;

export const ruleSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('alarm'),
        driver: identifier,
        /** Capacity change while the alarm is in ALARM: positive scales out, negative scales in (AWS step scaling). */
        step: z
          .number()
          .int()
          .refine((s) => s !== 0, 'step must not be 0'),
        /**
         * Urgent scale-outs are held neither by the scale-up window nor by a business change freeze — for the
         * first step of an ALARM episode. Repeats while the alarm stays in ALARM wait like any other scale-up.
         */
        urgent: z.boolean().default(false),
        staleAfterSeconds: z.number().int().positive().optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('metric'),
        driver: identifier,
        /** Target tracking: desired = ceil(value / targetPerUnit). */
        targetPerUnit: z.number().finite().positive(),
        /**
         * Scale-in tolerance: shrink only to a capacity that runs at most (1 - tolerance) of targetPerUnit,
         * so a load hovering at a boundary does not flip n ↔ n+1 (default 0.1, like HPA's tolerance).
         */
        scaleInTolerance: z.number().min(0).max(0.5).default(0.1),
        staleAfterSeconds: z.number().int().positive().optional(),
        /**
         * Predictive demand from the metric's own history (seasonal + trend), combined by max with the reactive
         * demand. `shadow` (the default, like AWS predictive scaling's ForecastOnly) explains the forecast in
         * every decision without acting on it.
         */
        forecast: forecastSchema.optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('business'),
        driver: identifier,
        /** Capacity at normal demand; a `multiplier` demand scales it. Defaults to bounds.min. */
        baseline: z.number().int().nonnegative().optional(),
        /**
         * Warm-up of the resource: capacity is requested this long before the window opens. `auto`: the
         * target's measured p90 time to serve (functions/domain/warmup.ts), a default until it has enough samples.
         */
        leadTimeSeconds: z.union([leadTimeSecondsSchema, z.literal('auto')]).default(0),
      })
      .strict(),
    z.object({ kind: z.literal('override'), driver: identifier }).strict(),
  ]),
);
export type Rule = z.infer<typeof ruleSchema>;

export const scheduledOverrideSchema = z.lazy(() =>
  z
    .object({
      name: identifier,
      start: timestamp,
      end: timestamp,
      action: z.enum(['pin', 'freeze']),
      allocation: z.number().int().nonnegative().optional(),
      reason: z.string().min(1).max(512),
    })
    .strict(),
);
export type ScheduledOverride = z.infer<typeof scheduledOverrideSchema>;

/** Default scale-down stabilization window (see policy.stabilization.scaleDownSeconds). */
export const SCALE_DOWN_STABILIZATION_SECONDS = 600;

export const policySchema = z.lazy(() =>
  z
    .object({
      /** Recorded on every decision so an audit can tell which policy produced it. */
      version: z.string().min(1).max(64),
      bounds: z
        .object({
          min: z.number().int().nonnegative(),
          max: z.number().int().nonnegative(),
          /** Largest increase in one decision; unlimited when absent. */
          maxStepUp: z.number().int().positive().optional(),
          /** Largest decrease in one decision; unlimited when absent. */
          maxStepDown: z.number().int().positive().optional(),
          /**
           * Step limits hold over this window, not one decision: after a scale-out, the next one waits until the
           * window has passed (so any window this long adds at most maxStepUp), the same for scale-in. 0 (the
           * default) limits each decision only.
           */
          stepWindowSeconds: z.number().int().nonnegative().max(86400).default(0),
        })
        .strict(),
      rules: z.array(ruleSchema).default([]),
      /** How demand drivers combine: the highest demand wins, or the first rule (in order) that has one. */
      combine: z.enum(['max', 'priority']).default('max'),
      stabilization: z
        .object({
          /** After a scale-up, further non-urgent scale-ups wait this long (lets new capacity warm up). */
          scaleUpSeconds: z.number().int().nonnegative().default(0),
          /**
           * Scale-down stabilization (HPA's downscale window): with the metric's history, scale-in goes only to
           * the highest recommendation over this window; without it, a scale-in waits this long after any change.
           * Default 600 s, twice the 300 s default EC2 instance warmup: a unit removed inside the window could not
           * serve again before the window ends, so a shorter window turns every reversed scale-in into a warmup
           * of under-provisioning (HPA's 300 s default is sized for pods that start in seconds).
           */
          scaleDownSeconds: z.number().int().nonnegative().default(SCALE_DOWN_STABILIZATION_SECONDS),
        })
        .strict()
        .default({ scaleUpSeconds: 0, scaleDownSeconds: SCALE_DOWN_STABILIZATION_SECONDS }),
      budget: z
        .object({
          unitHourlyPrice: z.number().finite().positive(),
          maxHourlyCost: z.number().finite().nonnegative(),
        })
        .strict()
        .optional(),
      fallback: z
        .object({
          /**
           * Used when every telemetry driver of the policy is stale or missing, and as the resting allocation
           * of a policy without telemetry rules when no business window or override is active.
           */
          allocation: z.number().int().nonnegative(),
          /** Telemetry (alarm, metric) older than this is stale; rules may set their own. */
          staleAfterSeconds: z.number().int().positive().default(900),
        })
        .strict(),
      routing: z
        .object({
          /**
           * A drained endpoint comes back only after its drain alarms have been out of ALARM this long
           * (hysteresis: a flapping alarm must not bounce traffic back and forth).
           */
          restoreAfterSeconds: z.number().int().nonnegative().default(300),
        })
        .strict()
        .default({ restoreAfterSeconds: 300 }),
      schedule: z.array(scheduledOverrideSchema).default([]),
    })
    .strict(),
);
export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

// ---------------------------------------------------------------------------------------------------------
// Target (as configured) and its runtime state
// ---------------------------------------------------------------------------------------------------------
export const targetSchema = z.lazy(() =>
  z
    .object({
      id: identifier,
      /**
       * Deprecated: the kind is the resource's (`resource.kind`), stored once. Configs written before that may
       * still name it here; it must then agree with the resource, and is dropped once checked.
       */
      kind: z.enum(TARGET_KINDS).optional(),
      resource: targetResourceSchema,
      /** Mode at deploy time; operators change it at run time (recorded in the target state). */
      mode: targetModeSchema.default('shadow'),
      /** EventBridge sources allowed to drive this target (aws.cloudwatch for alarms). */
      allowedSources: z.array(z.string().min(1).max(256)).min(1),
      /**
       * IAM role/user ARNs (or patterns ending in *) allowed to send overrides, matched against the caller ARN
       * AWS verified at the operator endpoint (never a field of the event). Empty: nobody.
       */
      overridePrincipals: z.array(z.string().min(1).max(2048)).default([]),
      /**
       * IAM role/user ARNs (or patterns ending in *) allowed to change the operator mode (pause, resume,
       * shadow, enforce) through the operator endpoint. Empty: nobody.
       */
      operatorPrincipals: z.array(z.string().min(1).max(2048)).default([]),
      policy: policySchema,
    })
    .strict()
    .superRefine((target, ctx) => {
      if (target.kind !== undefined && target.kind !== target.resource.kind)
        ctx.addIssue({
          code: 'custom',
          path: ['resource', 'kind'],
          message: `resource kind "${target.resource.kind}" does not match target kind "${target.kind}"`,
        });
    })
    .transform(({ kind: _deprecatedKind, ...target }) => target),
);
export type Target = z.infer<typeof targetSchema>;
export type TargetInput = z.input<typeof targetSchema>;

export const targetStateSchema = z.lazy(() =>
  z.object({
    targetId: identifier,
    /** Optimistic-concurrency version: a decision is recorded only if the state is still at this version. */
    version: z.number().int().nonnegative(),
    /**
     * Last allocation applied (or observed on the resource). Undefined means nothing is known about the
     * resource: the engine then proposes an allocation without step limits or stabilization, so the pipeline
     * should seed it from the resource (AllocationExecutor.observe) before the first decision.
     */
    current: allocationSchema.optional(),
    /** When the allocation (desired, floor or weights) last changed; starts the scale-down window. */
    lastChangeAt: epochSeconds.optional(),
    /** When capacity last went up; starts the scale-up window and marks an alarm step as already applied. */
    lastScaleUpAt: epochSeconds.optional(),
    /** When capacity last went down; marks a negative alarm step as already applied. */
    lastScaleDownAt: epochSeconds.optional(),
    /** Operator's mode change (pause/resume/shadow/enforce) which wins over the configured mode. */
    modeOverride: z
      .object({ mode: targetModeSchema, by: z.string().min(1), reason: z.string().min(1), at: epochSeconds })
      .optional(),
    lastDecisionId: z.string().optional(),
  }),
);
export type TargetState = z.infer<typeof targetStateSchema>;

// ---------------------------------------------------------------------------------------------------------
// Decision
// ---------------------------------------------------------------------------------------------------------
export const REASON_CODES = [
  // how the demanded allocation was formed
  'alarm-step',
  'target-tracking',
  'business-window',
  'business-lead-time',
  /** The metric rule's forecast (enforce mode) asked for more than the reactive demand. */
  'forecast',
  /** A scale-out the metric's own noise explains (inside its dead band, not sustained) was not made. */
  'within-noise-band',
  /** Scale-in went only to the highest recommendation over the scale-down window (HPA stabilization). */
  'stabilized-scale-down',
  /** A stabilized scale-in that would remove less than scaleInTolerance of the capacity was not made. */
  'within-scale-in-tolerance',
  'override-pin',
  'override-freeze',
  'scheduled-pin',
  'scheduled-freeze',
  'business-freeze',
  'fallback-stale-drivers',
  'no-demand-hold',
  /** Nothing demands capacity and the policy has no telemetry to hold it: back to fallback.allocation. */
  'no-demand-fallback',
  'initial-allocation',
  // guardrails
  'clamped-to-min',
  'clamped-to-max',
  'step-limited-up',
  'step-limited-down',
  'budget-capped',
  'budget-below-min',
  'cooldown-scale-down',
  'cooldown-scale-up',
  // routing
  'endpoint-drained',
  'endpoint-restored',
  'restore-delayed',
  'min-share-enforced',
  'all-endpoints-drained-fail-open',
  // outcome
  'no-change',
  'shadow-mode',
  'paused',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Why a driver did or did not shape the decision. */
export const DRIVER_OUTCOMES = [
  'won',
  'used',
  'stale',
  'expired',
  'out-of-window',
  'lost-precedence',
  'lost-to-higher-demand',
  'lost-to-earlier-rule',
  'held-by-cooldown',
  'no-rule',
  'superseded',
  'insufficient-data',
  'alarm-ok',
  'not-for-target',
] as const;
export type DriverOutcome = (typeof DRIVER_OUTCOMES)[number];

export const consideredDriverSchema = z.lazy(() =>
  z.object({
    driverId: z.string(),
    name: z.string(),
    kind: z.enum(DRIVER_KINDS),
    /** The rule (by index and kind) that evaluated the driver, when one matched. */
    rule: z.string().optional(),
    outcome: z.enum(DRIVER_OUTCOMES),
    /** Allocation this driver asked for, when it asked for one. */
    demand: z.number().optional(),
    detail: z.string().optional(),
  }),
);
export type ConsideredDriver = z.infer<typeof consideredDriverSchema>;

export const actionSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('set-capacity'),
      desired: z.number().int().nonnegative(),
      floor: z.number().int().nonnegative(),
    }),
    z.object({ type: z.literal('set-weights'), weights: z.record(z.string(), z.number().int().min(0).max(255)) }),
  ]),
);
export type Action = z.infer<typeof actionSchema>;

export const decisionSchema = z.lazy(() =>
  z.object({
    targetId: z.string(),
    targetKind: z.enum(TARGET_KINDS),
    at: epochSeconds,
    policyVersion: z.string(),
    mode: targetModeSchema,
    current: allocationSchema.optional(),
    desired: allocationSchema,
    /** Empty when nothing changes. */
    actions: z.array(actionSchema),
    /** False in shadow and paused modes: the decision is recorded but no mutating API may be called. */
    apply: z.boolean(),
    reasons: z.array(z.enum(REASON_CODES)),
    summary: z.string(),
    winner: z.string().optional(),
    considered: z.array(consideredDriverSchema),
  }),
);
export type Decision = z.infer<typeof decisionSchema>;
