/**
 * The CI-sized soak: scripts/soak.ts (`npm run soak` runs the full 50,000-driver variant) with 2,000 driver
 * events over 20 generated targets, four concurrent Lambda environments and injected AWS faults, on the
 * DynamoDB Local of the test run. Every write must belong to exactly one recorded plan, no plan may be lost,
 * and every target must end where the engine wants it.
 */
import { formatSoakReport, runSoak, soakConfig } from '../../scripts/soak';
import { validateConfig } from '../../functions/domain/config';
import { localEndpoint } from '../support/dynamodb';

describe('soak (CI size)', () => {
  it('generates a valid config of the requested size, every target kind included', () => {
    const config = soakConfig(120);
    const validation = validateConfig(config);
    expect(validation.issues).toEqual([]);
    expect(config.targets).toHaveLength(120);
    expect(new Set(config.targets.map((t) => t.resource.kind))).toEqual(
      new Set(['ec2-asg', 'lambda-provisioned-concurrency', 'route53-weighted']),
    );
  });

  // Bounded by its work (2,000 drivers, then the drain ticks), never by the wall clock: on a busy machine the
  // same run takes longer and must reach the same verdict. Throughput and latency are `npm run soak`'s to
  // report, not this test's to assert. The jest timeout only catches a hang.
  it(
    '2,000 drivers over 20 targets: zero lost, zero double-applied, no handler error',
    async () => {
      const report = await runSoak({
        drivers: 2_000,
        targets: 20,
        concurrency: 4,
        maxSeconds: undefined,
        seed: 11,
        faultRate: 0.05,
        endpoint: localEndpoint(),
      });
      const summary = formatSoakReport(report);
      expect({
        ok: report.ok,
        errors: report.errors.slice(0, 5),
        notConverged: report.ledger.notConverged.slice(0, 5),
        summary,
      }).toEqual({ ok: true, errors: [], notConverged: [], summary });
      expect(report.truncated).toBe(false);
      expect(report.events.drivers).toBe(2_000);
      expect(report.ledger).toMatchObject({ lost: 0, doubleApplied: 0 });
      // The run proves something only if it exercised the paths that can lose or double an action.
      expect(report.aws.writes).toBeGreaterThan(100);
      expect(report.aws.throttled).toBeGreaterThan(0);
      expect(report.aws.lostResponses).toBeGreaterThan(0);
      expect(report.drivers.duplicates).toBeGreaterThan(0);
      expect(report.drivers.outOfOrder).toBeGreaterThan(0);
      expect(report.decisions.ticks).toBeGreaterThan(2);
      expect(report.latencyMs.decisionSamples).toBeGreaterThan(50);
    },
    30 * 60_000,
  );
});
