/**
 * `drivetrain drivers [--target ID]`: every stored driver record with its age, time to expiry and whether
 * the policy can still use it. Expired records that TTL has not deleted yet are listed and flagged, not
 * hidden: they are exactly what an operator wonders about when the console shows an old item.
 */
import type { Driver } from '../../functions/domain/model';
import { flag, stringOption } from '../args';
import type { Command } from '../command';
import type { Context } from '../context';
import { describeDriver, needsAttention, type DriverView } from '../describe';
import { EXIT, type ExitCode } from '../errors';
import { age, isoSeconds, relative, renderTable } from '../format';

interface Row {
  driver: Driver;
  view: DriverView;
}

export const driversCommand: Command = {
  name: 'drivers',
  synopsis: 'drivers [--target ID]',
  summary: 'live drivers per target with age, expiry and state (stale ones flagged)',
  description: [
    'Reads the drivers table. STATE says whether the next decision can use the record:',
    '  live / active / pre-warm   usable now',
    '  scheduled / ended          a business window that is not open',
    '  stale                      telemetry older than the policy allows (fallback may be in force)',
    '  insufficient-data          the alarm cannot tell',
    '  expired                    past its expiry, awaiting TTL deletion (ignored by decisions)',
    "  unused                     no rule of the target's policy refers to it",
    'Expired records are shown unless --live-only is given.',
  ].join('\n'),
  options: {
    target: {
      type: 'string',
      short: 't',
      value: 'ID',
      description: 'only this target (default: every target in the config)',
    },
    'live-only': { type: 'boolean', description: 'hide expired records' },
  },
  positionals: [],
  examples: [
    'drivetrain drivers',
    'drivetrain drivers --target web-asg',
    'drivetrain drivers --local --json | jq \'.[] | select(.state=="stale")\'',
  ],
  async run(context: Context): Promise<ExitCode> {
    const targets = await context.targets(stringOption(context.parsed, 'target'));
    const store = await context.driverStore();
    const now = context.now();
    const rows: Row[] = [];
    for (const [i, target] of targets.entries()) {
      const drivers = await context.aws(`reading drivers of ${target.id} (${i + 1}/${targets.length})`, () =>
        store.all(target.id),
      );
      for (const driver of drivers) rows.push({ driver, view: describeDriver(driver, target, now) });
    }
    const shown = flag(context.parsed, 'live-only') ? rows.filter((r) => r.view.state !== 'expired') : rows;
    shown.sort(
      (a, b) =>
        a.view.targetId.localeCompare(b.view.targetId) ||
        Number(needsAttention(b.view.state)) - Number(needsAttention(a.view.state)) ||
        a.driver.name.localeCompare(b.driver.name) ||
        b.driver.observedAt - a.driver.observedAt,
    );

    if (context.json) {
      context.outJson(
        shown.map(({ driver, view }) => ({
          targetId: view.targetId,
          state: view.state,
          stateDetail: view.stateDetail,
          signal: view.signal,
          ageSeconds: view.ageSeconds,
          expiresInSeconds: view.expiresInSeconds,
          driver,
        })),
      );
      return EXIT.ok;
    }
    const many = targets.length > 1;
    context.out(
      renderTable(
        shown,
        [
          ...(many ? [{ header: 'TARGET', value: (r: Row) => r.view.targetId }] : []),
          { header: 'DRIVER', value: (r) => r.driver.name },
          { header: 'KIND', value: (r) => r.driver.kind },
          { header: 'SOURCE', value: (r) => r.driver.source },
          { header: 'TARGETS', value: (r) => r.driver.targets.join(',') },
          { header: 'AGE', value: (r) => age(now, r.driver.observedAt), align: 'right' },
          { header: 'EXPIRES', value: (r) => relative(now, r.driver.expiresAt), align: 'right' },
          {
            header: 'STATE',
            value: (r) => (needsAttention(r.view.state) ? `${r.view.state.toUpperCase()} !` : r.view.state),
          },
          { header: 'SIGNAL / DETAIL', value: (r) => `${r.view.signal} — ${r.view.stateDetail}`, flexible: true },
        ],
        { maxWidth: context.io.columns, empty: `no drivers stored for ${targets.map((t) => t.id).join(', ')}` },
      ),
    );
    const attention = shown.filter((r) => needsAttention(r.view.state));
    if (shown.length > 0) {
      const counts = ['stale', 'insufficient-data', 'expired']
        .map((state) => [state, attention.filter((r) => r.view.state === state).length] as const)
        .filter(([, n]) => n > 0);
      const footer = counts.length
        ? `: ${counts.map(([state, n]) => `${n} ${state === 'expired' ? 'expired (awaiting TTL deletion)' : state}`).join(', ')}`
        : '';
      context.out(`\n${shown.length} driver record${shown.length === 1 ? '' : 's'} at ${isoSeconds(now)}${footer}\n`);
    }
    return EXIT.ok;
  },
};
