import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { budgetCapacity } from '../../functions/domain/engine';
import { BEATS, SCENARIO, at, demoLoad, scenarioEvents } from '../../local/demo/scenario';
import { loadDemoConfig, runDemo, DemoSetupError, type DemoResult } from '../../local/demo/run';
import { formatBeats, formatDecisionTable } from '../../local/demo/terminal';
import { localEndpoint } from '../support/dynamodb';

const config = loadDemoConfig();
const web = config.targets.find((t) => t.id === 'web-asg')!;
const checkout = config.targets.find((t) => t.id === 'checkout-fn')!;
const leadOf = (target: typeof web) =>
  Math.max(
    ...target.policy.rules.map((r) => (r.kind === 'business' && r.driver === 'flash-sale' ? r.leadTimeSeconds : 0)),
  );

const size = (allocation: DemoResult['decisions'][number]['desired']) =>
  allocation.kind === 'capacity' ? allocation.desired : Number.NaN;

describe('the demo scenario through the real handlers, DynamoDB Local and the executors', () => {
  let result: DemoResult;
  const reportDir = mkdtempSync(join(tmpdir(), 'demo-'));
  beforeAll(async () => {
    result = await runDemo({
      dynamoDbEndpoint: localEndpoint(),
      reportDir,
      reportName: 'demo.html',
      wallClock: () => Date.parse('2026-11-23T12:00:00Z'),
    });
  }, 240_000);

  const beat = (name: string) => result.beats.find((b) => b.name === name)!.decision!;

  it.each(BEATS.map((b) => b.name))('shows "%s" in the audit trail', (name) => {
    const decision = beat(name);
    expect(decision).toBeDefined();
    expect(decision.status).toBe('applied');
    expect(decision.actions.length).toBeGreaterThan(0);
  });

  it('pre-warms one lead time before the sale, and the capacity is in place when it opens', () => {
    const prewarm = beat('pre-warm before the sale');
    expect(prewarm.at).toBe(SCENARIO.saleStart - leadOf(web));
    expect(beat('checkout concurrency pre-warmed').at).toBe(SCENARIO.saleStart - leadOf(checkout));
    const atOpening = result.decisions
      .filter((d) => d.targetId === 'web-asg' && d.actions.length > 0 && d.at < SCENARIO.saleStart)
      .pop()!;
    expect(atOpening.desired).toEqual({ kind: 'capacity', desired: 24, floor: 24 }); // 6 × baseline 4
  });

  it('moves capacity by at most one step per step window, urgent demand included', () => {
    const { maxStepUp, maxStepDown, stepWindowSeconds } = web.policy.bounds;
    expect(stepWindowSeconds).toBeGreaterThan(0);
    const changes = result.decisions.filter(
      (d) =>
        d.targetId === 'web-asg' &&
        d.status === 'applied' &&
        d.actions.length > 0 &&
        d.current?.kind === 'capacity' &&
        // Money outranks step limits: a budget cut lands at once, however large (applyGuardrails).
        !d.reasons.includes('budget-capped'),
    );
    for (const direction of [1, -1]) {
      const moves = changes
        .map((d) => ({ at: d.at, by: size(d.desired) - size(d.current!) }))
        .filter((m) => Math.sign(m.by) === direction);
      expect(moves.length).toBeGreaterThan(1);
      for (const move of moves) {
        // Any window of stepWindowSeconds ending at a change moves capacity by at most one step.
        const inWindow = moves.filter((m) => m.at > move.at - stepWindowSeconds && m.at <= move.at);
        const moved = Math.abs(inWindow.reduce((sum, m) => sum + m.by, 0));
        expect(moved).toBeLessThanOrEqual(direction > 0 ? maxStepUp! : maxStepDown!);
      }
    }
    // The pre-warm of the sale needs two steps (4 × 6 = 24 from ~9): the second waits out the window.
    const prewarm = beat('pre-warm before the sale');
    expect(prewarm.reasons).toContain('step-limited-up');
    const next = changes.find((d) => d.at > prewarm.at)!;
    expect(next.at).toBeGreaterThanOrEqual(prewarm.at + stepWindowSeconds);
  });

  it('pre-warms on the forecast before the daily email, and says what it expects from how much history', () => {
    const prewarm = beat('forecast pre-warm before the daily email');
    expect(prewarm.winner).toBe('requests');
    expect(prewarm.summary).toMatch(/requests forecast \(lead 10m\)/);
    const requests = prewarm.considered.find((c) => c.name === 'requests')!;
    expect(requests.outcome).toBe('won');
    expect(requests.detail).toMatch(/forecast \d+ by 10:\d\d:\d\dZ from 7d of history ±\d+% → \d+/);
    // What the forecast ordered before the email serves its peak, and is warm (the demo fleet's 180 s) in time.
    const ordered = result.decisions.filter(
      (d) =>
        d.targetId === 'web-asg' &&
        d.reasons.includes('forecast') &&
        d.actions.length > 0 &&
        d.at < SCENARIO.dailyEmail,
    );
    const last = ordered[ordered.length - 1]!;
    expect(last.at + 180).toBeLessThanOrEqual(SCENARIO.dailyEmail);
    let peak = 0;
    for (let t = SCENARIO.dailyEmail; t < SCENARIO.dailyEmail + 1800; t += 60) peak = Math.max(peak, demoLoad(t));
    const perUnit = web.policy.rules.find((r) => r.kind === 'metric')!;
    expect(perUnit.kind === 'metric' && size(last.desired) * perUnit.targetPerUnit).toBeGreaterThanOrEqual(peak);
  });

  it('steps capacity out on the CPU alarm before the request metric would move', () => {
    const step = beat('alarm scale-out');
    expect(step.at).toBe(at(10, 5, 40));
    expect(step.winner).toBe('cpu-high');
    expect(
      step.desired.kind === 'capacity' &&
        step.current?.kind === 'capacity' &&
        step.desired.desired - step.current.desired,
    ).toBe(2);
  });

  it('drains us-east-1 on the region alarm and restores it once the alarm has been quiet', () => {
    const drain = beat('weights shift on region alarm');
    expect(drain.at).toBe(at(10, 31, 20));
    expect(drain.desired).toEqual({ kind: 'weights', weights: { 'us-east-1': 0, 'eu-west-1': 100 } });
    const restore = result.decisions.find(
      (d) => d.targetId === 'api-routing' && d.at > drain.at && d.actions.length > 0,
    )!;
    expect(restore.at).toBeGreaterThanOrEqual(
      at(10, 48, 20) + config.targets.find((t) => t.id === 'api-routing')!.policy.routing.restoreAfterSeconds,
    );
    expect(restore.desired).toEqual({ kind: 'weights', weights: { 'us-east-1': 70, 'eu-west-1': 30 } });
  });

  it('caps the web fleet at what the finance budget buys', () => {
    const cap = beat('budget cap');
    expect(cap.at).toBe(SCENARIO.budgetStart);
    expect(cap.desired).toMatchObject({ desired: budgetCapacity(web.policy, 1.5) });
  });

  it('falls back when every telemetry driver of the web fleet is stale', () => {
    const fallback = beat('fallback on stale drivers');
    const staleAfter = web.policy.fallback.staleAfterSeconds;
    expect(fallback.at).toBeGreaterThan(SCENARIO.outageStart + staleAfter - 60);
    expect(fallback.at).toBeLessThan(SCENARIO.outageStart + staleAfter + 120);
    expect(fallback.desired).toMatchObject({ desired: web.policy.fallback.allocation });
  });

  it('accepts every event, fails no reconcile, and makes one AWS call per applied change', () => {
    expect(result.events).toBe(scenarioEvents().length);
    expect(result.rejectedDrivers).toBe(0);
    expect(result.failedReconciles).toBe(0);
    const applied = result.decisions.filter((d) => d.status === 'applied' && d.actions.length > 0);
    expect(result.calls.map((c) => c.at)).toEqual(applied.map((d) => d.at));
    expect(result.decisions.every((d) => d.at >= SCENARIO.start - 60 && d.at <= SCENARIO.end)).toBe(true);
  });

  it('prints the decision table newest last and writes the report', () => {
    const table = formatDecisionTable(result.decisions.filter((d) => d.actions.length > 0)).split('\n');
    expect(table[0]).toMatch(/^time\s+target\s+status\s+summary$/);
    const times = table.slice(2).map((l) => l.slice(0, 8));
    expect(times).toEqual([...times].sort());
    expect(formatBeats(result.beats)).not.toContain('✗');
    expect(result.reportPath).toBe(join(reportDir, 'demo.html'));
    const html = readFileSync(result.reportPath, 'utf8');
    for (const id of ['capacity-web-asg', 'capacity-checkout-fn', 'weights-api-routing'])
      expect(html).toContain(`data-chart="${id}"`);
    expect(html.match(/<tr><td class="time">/g)).toHaveLength(result.decisions.length);
  });
});

describe('demo setup', () => {
  it('says what a config lacks for the scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-config-'));
    const file = join(dir, 'small.yaml');
    writeFileSync(
      file,
      'version: 1\ndrivers: []\ntargets:\n  - id: web-asg\n    kind: ec2-asg\n    resource: { kind: ec2-asg, autoScalingGroupName: web }\n    allowedSources: [x]\n    policy: { version: v, bounds: { min: 1, max: 2 }, fallback: { allocation: 1 } }\n',
    );
    expect(() => loadDemoConfig(file)).toThrow(DemoSetupError);
    expect(() => loadDemoConfig(file)).toThrow(
      /target "checkout-fn".*\n.*target "api-routing"[\s\S]*CloudWatch alarm "web-prod-cpu-high"[\s\S]*metric driver "requests"/,
    );
  });
});
