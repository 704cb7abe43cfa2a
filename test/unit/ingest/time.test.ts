import { observedAtFrom, parseAwsTimestamp } from '../../../functions/ingest/time';
import { t } from './config';

describe('parseAwsTimestamp', () => {
  it.each([
    ['2019-10-02T17:04:40Z', t('2019-10-02T17:04:40Z')],
    ['2019-10-02T17:04:40.989+0000', t('2019-10-02T17:04:40.989Z')],
    ['2019-10-02T17:04:40.989+00:00', t('2019-10-02T17:04:40.989Z')],
    ['2019-10-02T12:04:40.989-0500', t('2019-10-02T17:04:40.989Z')],
    ['2019-10-02T22:34:40+05:30', t('2019-10-02T17:04:40Z')],
    ['2019-10-02T19:04:40+02', t('2019-10-02T17:04:40Z')],
    ['2023-08-04T12: 36: 15.490+0000', t('2023-08-04T12:36:15.490Z')],
    ['2023-08-04 12:36:15Z', t('2023-08-04T12:36:15Z')],
    ['2023-08-04t12:36:15z', t('2023-08-04T12:36:15Z')],
    ['2023-08-04T12:36', t('2023-08-04T12:36:00Z')],
    ['2023-08-04T12:36:15.123456789Z', t('2023-08-04T12:36:15.123Z')],
    ['2023-08-04T12:36:15,5Z', t('2023-08-04T12:36:15.500Z')],
    ['2024-02-29T00:00:00Z', t('2024-02-29T00:00:00Z')],
  ])('%s', (text, expected) => {
    expect(parseAwsTimestamp(text)).toBe(expected);
  });

  it.each([
    ['prose', 'Friday 04 August, 2023 12:54:46 UTC'],
    ['a date only', '2023-08-04'],
    ['hour 24', '2023-08-04T24:00:00Z'],
    ['minute 60', '2023-08-04T12:60:00Z'],
    ['second 60 (leap seconds are not in AWS timestamps)', '2023-08-04T12:00:60Z'],
    ['31 February', '2023-02-31T00:00:00Z'],
    ['29 February of a common year', '2023-02-29T00:00:00Z'],
    ['month 13', '2023-13-01T00:00:00Z'],
    ['offset +2400', '2023-08-04T12:00:00+2400'],
    ['empty', ''],
    ['too long to be a timestamp', `2023-08-04T12:00:00Z${' '.repeat(100)}`],
    ['a number', 1691152575],
    ['null', null],
    ['an object', { iso: '2023-08-04T12:00:00Z' }],
  ])('rejects %s', (_label, text) => {
    expect(parseAwsTimestamp(text)).toBeUndefined();
  });
});

describe('observedAtFrom', () => {
  const received = t('2023-08-04T12:00:00Z');
  it('takes the first usable candidate', () => {
    expect(observedAtFrom(['garbage', '2023-08-04T11:59:00Z', '2023-08-04T11:58:00Z'], received)).toBe(
      t('2023-08-04T11:59:00Z'),
    );
  });
  it('accepts a few minutes of clock skew but not a future date', () => {
    expect(observedAtFrom(['2023-08-04T12:04:00Z'], received)).toBe(t('2023-08-04T12:04:00Z'));
    expect(observedAtFrom(['2023-08-04T12:06:00Z', '2023-08-04T11:00:00Z'], received)).toBe(t('2023-08-04T11:00:00Z'));
  });
  it('falls back to the receive time', () => {
    expect(observedAtFrom([undefined, Number.NaN, -5, 'nope'], received)).toBe(received);
  });
});
