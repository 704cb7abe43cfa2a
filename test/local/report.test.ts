import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import type { AlarmDriver, BusinessDriver } from '../../functions/domain/model';
import { parseTraceCsv } from '../../local/bench/trace';
import { runReplay } from '../../local/replay';
import { renderReport, reportFromReplay, writeReport, type ReportData } from '../../local/report';

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

async function reportData(): Promise<ReportData> {
  const replay = await runReplay({
    config,
    trace,
    drivers: [sale, regionAlarm(T0, 'OK'), regionAlarm(T0 + 5400, 'ALARM'), regionAlarm(T0 + 9000, 'OK')],
    perUnitCapacity: 250,
  });
  const data = reportFromReplay(replay, T0 + 4 * 3600, [
    { from: T0 + 2 * 3600, to: T0 + 3 * 3600, label: 'noon sale' },
  ]);
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
    expect(html.match(/<tr><td class="time">/g)).toHaveLength(data.decisions.length);
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
        { at: T0, targetId: 'web', status: 'applied', summary: 'override by <img src=x onerror=alert(1)> & "friends"' },
      ],
    });
    expect(html).toContain('override by &lt;img src=x onerror=alert(1)&gt; &amp; &quot;friends&quot;');
    expect(html).not.toContain('<img');
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
      const webDecisions = data.decisions.filter((d) => d.targetId === 'web').length;
      expect(await capacity.locator('g.marker').count()).toBe(webDecisions - 1);
      expect(await weights.locator('path[data-series="us-east-1"]').isVisible()).toBe(true);

      const rows = page.locator('table.decisions tbody tr');
      expect(await rows.count()).toBe(data.decisions.length);
      expect(await rows.last().isVisible()).toBe(true);
      await expect(rows.filter({ hasText: 'sale (lead 10m)' }).first().isVisible()).resolves.toBe(true);
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
