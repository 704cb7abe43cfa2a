/**
 * The "Decision events" section of docs/events.md (rendered with the driver events by
 * functions/ingest/events-doc.ts). The example is built by the code that builds the real events, so the
 * documentation cannot drift from what the handlers publish.
 */
import { DECISION_EVENT_SCHEMA_VERSION, DECISION_EVENT_SOURCE, DETAIL_TYPES } from '../contracts';
import { DECISION_STATUSES, type DecisionRecord } from '../ports';
import { decisionEventDetail } from './decision-events';

const EXAMPLE_RECORD: DecisionRecord = {
  decisionId: 'web-asg:42',
  decisionKey: '2026-11-27T09:14:00.000Z#000000042',
  version: 42,
  status: 'planned',
  targetId: 'web-asg',
  targetKind: 'ec2-asg',
  at: 1795770840,
  policyVersion: 'web-2026-11-23',
  mode: 'enforce',
  current: { kind: 'capacity', desired: 4, floor: 2 },
  desired: { kind: 'capacity', desired: 12, floor: 2 },
  actions: [{ type: 'set-capacity', desired: 12, floor: 2 }],
  apply: true,
  reasons: ['business-window', 'business-lead-time', 'budget-capped'],
  summary: 'scale 4→12: flash-sale (lead 15m) outranks cpu-high; capped by budget at 12',
  winner: 'flash-sale',
  considered: [],
  outcome: { at: 1795770841, detail: 'web-prod: desired 4→12' },
};

export function renderDecisionEventsDoc(): string[] {
  const detail = decisionEventDetail('prod', EXAMPLE_RECORD, 'applied');
  return [
    '## Decision events (published by Drivetrain)',
    '',
    'After every decision is recorded — and, for a plan, once it is applied or failed — the reconciling function',
    `publishes it on the deployment's business bus: source \`${DECISION_EVENT_SOURCE}\`, detail-type`,
    `\`${DETAIL_TYPES.decision}\`, detail schema version ${DECISION_EVENT_SCHEMA_VERSION} (\`schemaVersion\`; a field is`,
    'only ever added within a version). Events of one invocation go out together (PutEvents, 10 per request); a',
    'failure to publish never fails the reconcile and is counted in `DecisionEventsFailed`. A steady hold that is',
    "not recorded again publishes nothing. Only the deployment's reconciling roles may put this source or",
    'detail-type on the bus (its resource policy denies everyone else), and no ingest rule matches it, so a',
    'decision event never comes back as a driver. Mode changes by an operator are recorded, not published (yet).',
    '',
    `\`status\` is one of ${DECISION_STATUSES.map((s) => `\`${s}\``).join(', ')} (\`planned\`: the apply could not be`,
    'confirmed and a later reconcile settles it). An applied plan is followed until it serves: a second event',
    'carries `settled` or `degraded` (with the cause in `serving`), or `replaced` when a newer applied plan of the',
    'target replaced it before it served (`replacedBy` names that decision). `onFallback` is true when every telemetry driver was stale and the',
    'fallback allocation is in force. `current`/`desired` are `{kind: "capacity", desired, floor}` or',
    '`{kind: "weights", weights}`. The full record (drivers considered, why each lost) is',
    '`drivetrain explain <decisionId>`.',
    '',
    '```json',
    JSON.stringify(
      {
        version: '0',
        id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        'detail-type': DETAIL_TYPES.decision,
        source: DECISION_EVENT_SOURCE,
        account: '111122223333',
        time: new Date(detail.at * 1000).toISOString().replace('.000', ''),
        region: 'eu-west-1',
        resources: [],
        detail,
      },
      null,
      2,
    ),
    '```',
    '',
    '### Routing decision events',
    '',
    '- **SNS** without writing a rule: `new Drivetrain(this, "Drivetrain", { config, decisionNotifications: { topic } })`',
    '  adds a rule on the bus for `applied`, `failed` and `degraded` (set `statuses`) and on-fallback decisions, with an input',
    '  transformer that sends one line per decision (`Drivetrain prod web-asg: applied (enforce) scale 4→12: …',
    '  [drivetrain explain web-asg:42]`). A KMS-encrypted topic needs a key policy that lets `events.amazonaws.com`',
    '  use the key.',
    '- **Slack or Teams (AWS Chatbot)**: subscribe the Chatbot channel to that SNS topic, or route the events to a',
    '  topic of your own with a rule like the one below.',
    '- **Your own tooling**: any rule on the business bus, e.g.',
    '',
    '```json',
    JSON.stringify(
      {
        source: [DECISION_EVENT_SOURCE],
        'detail-type': [DETAIL_TYPES.decision],
        detail: { status: ['failed'], targetId: ['web-asg'] },
      },
      null,
      2,
    ),
    '```',
    '',
  ];
}
