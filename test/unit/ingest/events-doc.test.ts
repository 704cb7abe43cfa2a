import { verifiedCaller } from '../../../functions/ingest/caller';
import { DETAIL_TYPES } from '../../../functions/contracts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../../functions/domain/config';
import { EVENT_DOCS, jsonSchemaOf, renderEventsDoc } from '../../../functions/ingest/events-doc';
import { renderDecisionEventsDoc } from '../../../functions/app/decision-events-doc';
import { normalize } from '../../../functions/ingest/normalize';
import { t } from './config';

const ROOT = join(__dirname, '../../..');
const DOC = join(ROOT, 'docs/events.md');

describe('docs/events.md', () => {
  it('is generated from the current schemas (UPDATE_EVENTS_DOC=1 rewrites it)', () => {
    // The driver events (functions/ingest) and the decision events Drivetrain publishes (functions/app).
    const rendered = [renderEventsDoc(), ...renderDecisionEventsDoc()].join('\n');
    if (process.env.UPDATE_EVENTS_DOC === '1') writeFileSync(DOC, rendered);
    expect(readFileSync(DOC, 'utf8')).toBe(rendered);
  });

  const shipped = parseConfig(
    parse(readFileSync(join(ROOT, 'drivetrain.config.yaml'), 'utf8')),
    'drivetrain.config.yaml',
  );
  const examples = EVENT_DOCS.flatMap((doc) =>
    doc.examples.map((example) => [`${doc.detailType}: ${example.caption}`, doc, example] as const),
  );

  it.each(examples)(
    'example "%s" becomes drivers under the shipped config, with no rejection',
    (_name, doc, example) => {
      expect(doc.schema.safeParse(example.detail).success).toBe(true);
      const event = {
        version: '0',
        id: 'docs-example',
        'detail-type': doc.detailType,
        source: example.source ?? doc.source,
        account: '111122223333',
        time: '2026-11-20T09:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: example.detail,
      };
      // Overrides arrive only through the operator endpoint, with the caller AWS verified.
      const caller =
        doc.detailType === DETAIL_TYPES.override
          ? { caller: verifiedCaller('arn:aws:sts::111122223333:assumed-role/oncall-alice/alice')! }
          : {};
      const result = normalize(event, { config: shipped, receivedAt: t('2026-11-20T09:00:01Z'), ...caller });
      expect(result.rejected).toEqual([]);
      expect(result.drivers.length).toBe(1);
    },
  );

  it('publishes the mandatory override fields as required in every action', () => {
    const schema = jsonSchemaOf(EVENT_DOCS.find((doc) => doc.title === 'Override')!.schema) as {
      oneOf?: Array<{ required: string[] }>;
      anyOf?: Array<{ required: string[] }>;
    };
    const branches = schema.oneOf ?? schema.anyOf ?? [];
    expect(branches).toHaveLength(3);
    for (const branch of branches) {
      expect(branch.required).toEqual(expect.arrayContaining(['driver', 'targets', 'action', 'expiresAt', 'reason']));
      // Who sent it is the verified caller, never a field: a `principal` is refused, so it is never required.
      expect(branch.required).not.toContain('principal');
    }
  });
});
