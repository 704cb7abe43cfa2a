import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { parseConfig, type DrivetrainConfigInput } from '../../functions/domain/config';
import type { AlarmDriver, BusinessDriver } from '../../functions/domain/model';
import { parseTraceCsv } from '../../local/bench/trace';
import { runReplay } from '../../local/replay';
import {
  alarmEpisodes,
  alarmEpisodesFromDecisions,
  budgetInForce,
  renderReport,
  reportFromReplay,
  writeReport,
  type ReportData,
} from '../../local/report';
import { labelLanes } from '../../local/report/svg';

const T0 = 1_795_737_600;
const CHROMIUM = '/usr/bin/chromium';

const config: DrivetrainConfigInput = {
  version: 1,
  drivers: [
    { name: 'requests', kind: 'metric', targets: ['web'] },
    { name: 'sale', kind: 'business', targets: ['web'] },
    { name: 'use1-health', kind: 'alarm', alarmNames: ['api-use1-5xx'], targets: ['api'] },
  ],
  targets: [
    {
      id: 'web',
      kind: 'ec2-asg',
      resource: { kind: 'ec2-asg', autoScalingGroupName: 'web' },
      mode: 'enforce',
      allowedSources: ['x'],
      policy: {
        version: 'web-v1',
        bounds: { min: 2, max: 40 },
        rules: [
          { kind: 'metric', driver: 'requests', targetPerUnit: 200 },
          { kind: 'business', driver: 'sale', baseline: 4, leadTimeSeconds: 600 },
        ],
        fallback: { allocation: 4 },
        budget: { unitHourlyPrice: 0.1, maxHourlyCost: 3 },
      },
    },
    {
      id: 'api',
      kind: 'route53-weighted',
      resource: {
        kind: 'route53-weighted',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        recordName: 'api.example.com',
        recordType: 'CNAME',
        endpoints: [
          { setIdentifier: 'us-east-1', weight: 70, drainOn: ['use1-health'] },
          { setIdentifier: 'eu-west-1', weight: 30 },
        ],
      },
      mode: 'enforce',
      allowedSources: ['aws.cloudwatch'],
      policy: { version: 'api-v1', bounds: { min: 0, max: 255 }, fallback: { allocation: 0 } },
    },
  ],
};

const sale: BusinessDriver = {
  id: 'sale-1',
  name: 'sale',
  kind: 'business',
  source: 'com.acme.marketing',
  targets: ['web'],
  observedAt: T0 + 1800,
  expiresAt: T0 + 6 * 3600,
  lineage: { eventId: 'e1', channel: 'eventbridge', receivedAt: T0 + 1800 },
  signal: {
    type: 'demand',
    label: 'noon sale',
    demand: { multiplier: 6 },
    windowStart: T0 + 2 * 3600,
    windowEnd: T0 + 3 * 3600,
  },
};
/** Finance caps spend during the sale hour: its band starts where the sale's does (labels must not collide). */
const spendCap: BusinessDriver = {
  id: 'cap-1',
  name: 'sale',
  kind: 'business',
  source: 'com.acme.finance',
  targets: ['web'],
  observedAt: T0 + 1800,
  expiresAt: T0 + 6 * 3600,
  lineage: { eventId: 'e2', channel: 'eventbridge', receivedAt: T0 + 1800 },
  signal: {
    type: 'budget',
    label: 'finance spend cap',
    maxHourlyCost: 2,
    windowStart: T0 + 2 * 3600,
    windowEnd: T0 + 3 * 3600,
  },
};
const regionAlarm = (observedAt: number, state: 'OK' | 'ALARM'): AlarmDriver => ({
  id: 'api-use1-5xx',
  name: 'use1-health',
  kind: 'alarm',
  source: 'aws.cloudwatch',
  targets: ['api'],
  observedAt,
  expiresAt: observedAt + 86400,
  lineage: { eventId: `a${observedAt}`, channel: 'eventbridge', receivedAt: observedAt },
  signal: { alarmName: 'api-use1-5xx', state },
});

/** Four hours: 600 rps, a sale hour at 4000 rps, then back. */
const trace = parseTraceCsv(
  [
    'time,demand',
    ...Array.from({ length: 240 }, (_, m) => `${m * 60},${m >= 120 && m < 180 ? 4000 - (m - 120) * 40 : 550}`),
  ].join('\n'),
  { startAt: T0, name: 'report-test' },
);

const recorded = [sale, spendCap, regionAlarm(T0, 'OK'), regionAlarm(T0 + 5400, 'ALARM'), regionAlarm(T0 + 9000, 'OK')];

async function reportData(): Promise<ReportData> {
  const replay = await runReplay({ config, trace, drivers: recorded, perUnitCapacity: 250 });
  const data = reportFromReplay(replay, T0 + 4 * 3600, {
    bands: [{ from: T0 + 2 * 3600, to: T0 + 3 * 3600, label: 'lunch peak', kind: 'window' }],
    config: parseConfig(config),
    drivers: recorded,
  });
  // Two recorded holds with their ids, as a deployment's table has them: hidden until asked for.
  data.decisions.push(
    { at: T0 + 60, targetId: 'web', status: 'skipped', summary: 'hold at 4', decisionId: 'web:7', change: false },
    {
      at: T0 + 120,
      targetId: 'web',
      status: 'skipped',
      summary: 'hold at 4 again',
      decisionId: 'web:8',
      change: false,
    },
  );
  data.decisions.sort((a, b) => a.at - b.at);
  data.tables = [
    {
      title: 'Elasticity',
      columns: ['strategy', 'τU %', 'cost $'],
      rows: [['Drivetrain', '0.00', '1.23']],
      notes: ['τU: share of time under-provisioned'],
    },
  ];
  return data;
}

describe('HTML report (markup)', () => {
  it('draws one chart per target and one row per decision, newest last', async () => {
    const data = await reportData();
    const html = renderReport(data);
    expect(html).toContain('data-chart="capacity-web"');
    expect(html).toContain('data-chart="weights-api"');
    expect(html.match(/<tr class="(change|hold)"><td class="time">/g)).toHaveLength(data.decisions.length);
    expect(html).toContain('<code>web:7</code>');
    const times = data.decisions.map((d) => d.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: no scripts, nothing fetched
  });

  it('escapes every piece of text it did not write', () => {
    const html = renderReport({
      title: 'x',
      generatedAt: T0,
      start: T0,
      end: T0 + 60,
      capacity: [],
      weights: [],
      decisions: [
        {
          at: T0,
          targetId: 'web',
          status: 'applied',
          summary: 'override by <img src=x onerror=alert(1)> & "friends"',
          decisionId: 'web:<b>',
          change: true,
        },
      ],
    });
    expect(html).toContain('override by &lt;img src=x onerror=alert(1)&gt; &amp; &quot;friends&quot;');
    expect(html).not.toContain('<img');
    expect(html).toContain('<code>web:&lt;b&gt;</code>');
  });

  it('puts labels that would collide on separate lanes, and reuses a lane once it is free', () => {
    expect(
      labelLanes([
        { x: 100, width: 60 },
        { x: 100, width: 60 },
        { x: 130, width: 10 },
        { x: 400, width: 5 },
      ]),
    ).toEqual([0, 1, 2, 0]);
  });

  it('shades each ALARM episode from the alarm drivers, and from the decisions a deployment recorded', () => {
    expect(alarmEpisodes(recorded, 'api', T0 + 4 * 3600)).toEqual([
      { from: T0 + 5400, to: T0 + 9000, label: 'api-use1-5xx ALARM', kind: 'alarm' },
    ]);
    expect(alarmEpisodes(recorded, 'web', T0 + 4 * 3600)).toEqual([]);
    const considered = (at: number, outcome: 'used' | 'alarm-ok') => ({
      targetId: 'web',
      targetKind: 'ec2-asg' as const,
      at,
      policyVersion: 'v1',
      mode: 'enforce' as const,
      desired: { kind: 'capacity' as const, desired: 4, floor: 0 },
      actions: [],
      apply: true,
      reasons: [],
      summary: 'x',
      considered: [{ driverId: 'cpu', name: 'cpu-high', kind: 'alarm' as const, outcome }],
    });
    expect(
      alarmEpisodesFromDecisions(
        [considered(T0 + 300, 'alarm-ok'), considered(T0 + 60, 'used'), considered(T0 + 900, 'used')],
        T0 + 1000,
      ),
    ).toEqual([
      { from: T0 + 60, to: T0 + 300, label: 'cpu-high ALARM', kind: 'alarm' },
      { from: T0 + 900, to: T0 + 1000, label: 'cpu-high ALARM', kind: 'alarm' },
    ]);
  });

  it('takes the budget in force as the lower of the policy cap and a live, in-window budget driver', () => {
    const policy = { budget: { unitHourlyPrice: 0.1, maxHourlyCost: 3 } };
    expect(budgetInForce(policy, recorded, 'web', T0 + 3600)).toBe(3);
    expect(budgetInForce(policy, recorded, 'web', T0 + 2 * 3600 + 60)).toBe(2);
    expect(budgetInForce(policy, recorded, 'api', T0 + 2 * 3600 + 60)).toBe(3);
    expect(budgetInForce({}, recorded, 'web', T0 + 2 * 3600 + 60)).toBeUndefined();
  });
});

// Chosen at load time: a missing browser must show up as a skipped test with a reason, never as a pass.
const browserIt = existsSync(CHROMIUM) ? it : it.skip;
if (!existsSync(CHROMIUM))
  console.warn(`report.test.ts: ${CHROMIUM} not found, skipping the browser check (apt-get install chromium)`);

describe('HTML report (in Chromium)', () => {
  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  browserIt(
    'renders the charts and the decision table, and a screenshot reads well',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'report-'));
      const data = await reportData();
      const file = writeReport(join(dir, 'report.html'), data);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(r.url()));
      page.on('pageerror', (e) => failed.push(e.message));
      await page.goto(pathToFileURL(file).href);

      await expect(page.title()).resolves.toBe(data.title);
      const capacity = page.locator('svg[data-chart="capacity-web"]');
      const weights = page.locator('svg[data-chart="weights-api"]');
      expect(await capacity.isVisible()).toBe(true);
      expect(await weights.isVisible()).toBe(true);
      const box = await capacity.boundingBox();
      expect(box!.width).toBeGreaterThan(800);
      expect(box!.height).toBeGreaterThan(200);
      // the serving line, the demand area and one marker per decision after the first are drawn
      expect(await capacity.locator('path[data-series="serving"]').count()).toBe(1);
      expect(await capacity.locator('path[data-series="demand (units needed)"]').count()).toBe(1);
      const webDecisions = data.decisions.filter((d) => d.targetId === 'web' && d.change).length;
      expect(await capacity.locator('g.marker').count()).toBe(webDecisions - 1);
      expect(await weights.locator('path[data-series="us-east-1"]').isVisible()).toBe(true);

      const rows = page.locator('table.decisions tbody tr');
      expect(await rows.count()).toBe(data.decisions.length);
      expect(await rows.last().isVisible()).toBe(true);
      await expect(rows.filter({ hasText: 'sale (lead 10m)' }).first().isVisible()).resolves.toBe(true);

      // No two labels of a chart overlap: band labels (stacked in lanes), axis label, tick labels.
      for (const chart of await page.locator('svg.chart').all()) {
        const boxes = (await chart.locator('g.band text, text.axis-label').all()).map((t) => t.boundingBox());
        const resolved = (await Promise.all(boxes)).filter((b) => b !== null);
        for (const [i, a] of resolved.entries())
          for (const b of resolved.slice(i + 1)) {
            const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
            expect(overlap ? { a, b } : undefined).toBeUndefined();
          }
      }
      // The sale window and the spend cap start together: both labels are drawn, one above the other.
      const sameStart = await capacity.locator('g.band text').allTextContents();
      expect(sameStart).toEqual(expect.arrayContaining(['lunch peak', 'noon sale', 'finance spend cap']));

      // Every kind of marker a chart draws has a legend entry, and so does every kind of shaded band.
      for (const id of ['capacity-web', 'weights-api']) {
        const chart = page.locator(`svg[data-chart="${id}"]`);
        const legend = page.locator(`ul.legend[data-legend-for="${id}"]`);
        const kinds = await chart
          .locator('g.marker')
          .evaluateAll((gs) => [...new Set(gs.map((g) => g.getAttribute('class')!.split('marker-')[1]!))]);
        expect(kinds.length).toBeGreaterThan(0);
        for (const kind of kinds) expect(await legend.locator(`[data-legend="marker:${kind}"]`).isVisible()).toBe(true);
        const bandKinds = await chart
          .locator('g.band')
          .evaluateAll((gs) => [...new Set(gs.map((g) => g.dataset.band))]);
        for (const kind of bandKinds)
          expect(await legend.locator(`[data-legend="band:${kind}"]`).isVisible()).toBe(true);
      }
      // One shaded ALARM episode on the routing chart (ALARM at +1.5 h, OK at +2.5 h).
      expect(await weights.locator('g.band-alarm').count()).toBe(1);

      // The cost chart: allocation × unit price and the budget in force (the spend cap dips it to 2/h).
      const cost = page.locator('svg[data-chart="cost-web"]');
      expect(await cost.isVisible()).toBe(true);
      expect(await cost.locator('path[data-series="hourly cost"]').count()).toBe(1);
      expect(await cost.locator('path[data-series="budget cap"]').count()).toBe(1);
      await expect(page.locator('h4.cost').first().textContent()).resolves.toContain('budget binds at 30');

      // Holds are hidden until the toggle is ticked; every row carries its decision id when it has one.
      const holds = page.locator('table.decisions tr.hold');
      expect(await holds.count()).toBe(2);
      expect(await holds.first().isVisible()).toBe(false);
      await page.locator('label[for="show-holds"]').click();
      expect(await holds.first().isVisible()).toBe(true);
      await expect(holds.first().locator('code').textContent()).resolves.toBe('web:7');
      expect(failed).toEqual([]);

      const screenshot = join(dir, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(20_000);
      expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
      console.log(`report screenshot: ${screenshot}`);
    },
    60_000,
  );
});
