import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { S3Event, SQSEvent } from 'aws-lambda';
import { decodeS3EventKey, encodeS3EventKey, parseIngestEvent } from '../../src/pipeline/s3-events.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as T;
const OPTS = { bucket: 'memgap-raw-dev', prefix: 'raw/' };

function s3EventFor(keys: string[], eventName = 'ObjectCreated:Put', bucket = 'memgap-raw-dev'): S3Event {
  const base = fixture<S3Event>('s3-put.json');
  const rec = base.Records[0]!;
  return { Records: keys.map((key) => ({ ...rec, eventName, s3: { ...rec.s3, bucket: { ...rec.s3.bucket, name: bucket }, object: { ...rec.s3.object, key } } })) } as S3Event;
}
function sqsOf(bodies: Array<{ id: string; body: string }>): SQSEvent {
  const base = fixture<SQSEvent>('sqs-s3-put.json').Records[0]!;
  return { Records: bodies.map(({ id, body }) => ({ ...base, messageId: id, body })) };
}

describe('S3 event key decoding', () => {
  it('decodes the real S3 fixture: %3D is "=", %3A is ":"', () => {
    const [msg] = parseIngestEvent(fixture('sqs-s3-put.json'), OPTS);
    expect(msg).toEqual({
      messageId: '2e1424d4-f796-459a-8184-9c92662be6da',
      objects: [
        {
          bucket: 'memgap-raw-dev',
          key: 'raw/cluster=prod-eu-1/node=ip-10-0-1-23.ec2.internal/dt=2026-11-27/2026-11-27T05:30:57Z.json.gz',
          eventName: 'ObjectCreated:Put',
          size: 18342,
        },
      ],
      ignored: [],
      invalid: [],
    });
  });

  it('treats + as a space and %2B as a literal plus (form encoding, as S3 sends it)', () => {
    expect(decodeS3EventKey('raw/a+b%2Bc.json')).toBe('raw/a b+c.json');
    expect(encodeS3EventKey('raw/a b+c.json')).toBe('raw/a+b%2Bc.json');
  });

  it('decodes UTF-8 percent escapes: "ñ" is C3 B1, "日" is E6 97 A5', () => {
    expect(decodeS3EventKey('raw/%C3%B1-%E6%97%A5.json')).toBe('raw/ñ-日.json');
    expect(encodeS3EventKey('raw/ñ-日.json')).toBe('raw/%C3%B1-%E6%97%A5.json');
  });

  it('leaves s3rver keys (never encoded) untouched in plain mode', () => {
    expect(decodeS3EventKey('raw/a+b %41.json', 'plain')).toBe('raw/a+b %41.json');
    // The same raw string in url mode would be mangled, which is why the mode exists.
    expect(decodeS3EventKey('raw/a+b %41.json', 'url')).toBe('raw/a b A.json');
  });

  it('round-trips any key through the S3 encoding (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (s) => {
        expect(decodeS3EventKey(encodeS3EventKey(s))).toBe(s);
      }),
    );
  });
});

describe('parseIngestEvent', () => {
  it('ignores the s3:TestEvent S3 sends when the notification is created', () => {
    const msgs = parseIngestEvent(fixture('sqs-s3-test-event.json'), OPTS);
    expect(msgs).toEqual([{ messageId: '059f36b4-87a3-44ab-83d2-661975830a7d', objects: [], ignored: ['s3:TestEvent'], invalid: [] }]);
    expect(parseIngestEvent(fixture('s3-test-event.json'), OPTS)[0]!.ignored).toEqual(['s3:TestEvent']);
  });

  it('accepts a direct S3 event as one message with a null id', () => {
    const msgs = parseIngestEvent(fixture('s3-put.json'), OPTS);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.messageId).toBeNull();
    expect(msgs[0]!.objects.map((o) => o.key)).toEqual(['raw/cluster=prod-eu-1/node=ip-10-0-1-23.ec2.internal/dt=2026-11-27/2026-11-27T05:30:57Z.json.gz']);
  });

  it('keeps one entry per SQS message, so failures map to messageIds', () => {
    const event = sqsOf([
      { id: 'm1', body: JSON.stringify(s3EventFor(['raw/a.json.gz', 'raw/b.json.gz'])) },
      { id: 'm2', body: JSON.stringify(s3EventFor(['raw/c+d.json.gz'])) },
    ]);
    const msgs = parseIngestEvent(event, OPTS);
    expect(msgs.map((m) => [m.messageId, m.objects.map((o) => o.key)])).toEqual([
      ['m1', ['raw/a.json.gz', 'raw/b.json.gz']],
      ['m2', ['raw/c d.json.gz']],
    ]);
  });

  it('ignores deletes and keys outside the raw prefix', () => {
    const msgs = parseIngestEvent(sqsOf([
      { id: 'del', body: JSON.stringify(s3EventFor(['raw/a.json.gz'], 'ObjectRemoved:Delete')) },
      { id: 'out', body: JSON.stringify(s3EventFor(['samples/x.parquet'])) },
    ]), OPTS);
    expect(msgs.map((m) => [m.objects.length, m.ignored.length, m.invalid.length])).toEqual([[0, 1, 0], [0, 1, 0]]);
    expect(msgs[0]!.ignored[0]).toContain('ObjectRemoved:Delete');
  });

  it('marks unusable input invalid instead of throwing: bad JSON body, foreign bucket, traversal, bad escapes', () => {
    const msgs = parseIngestEvent(sqsOf([
      { id: 'json', body: '{"Records": [' },
      { id: 'bucket', body: JSON.stringify(s3EventFor(['raw/a.json.gz'], 'ObjectCreated:Put', 'someone-elses-bucket')) },
      { id: 'dotdot', body: JSON.stringify(s3EventFor(['raw/..%2F..%2Fetc/passwd'])) },
      { id: 'escape', body: JSON.stringify(s3EventFor(['raw/%E0%A4%A.json'])) },
      { id: 'shape', body: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put' }] }) },
      { id: 'notifs3', body: JSON.stringify({ hello: 'world' }) },
    ]), OPTS);
    for (const m of msgs) {
      expect(m.objects, m.messageId ?? '').toEqual([]);
      expect(m.invalid, m.messageId ?? '').toHaveLength(1);
    }
    expect(msgs[1]!.invalid[0]).toContain('not the configured raw bucket');
    expect(msgs[2]!.invalid[0]).toContain('unsafe object key');
    expect(msgs[3]!.invalid[0]).toContain('bad key');
  });

  it('rejects a malformed SQS envelope as a whole', () => {
    const msgs = parseIngestEvent({ Records: [{ eventSource: 'aws:sqs' }] }, OPTS);
    expect(msgs).toEqual([{ messageId: null, objects: [], ignored: [], invalid: ['malformed SQS event'] }]);
  });
});
