import * as z from 'zod';
import { assertSafeKey } from '../store/port.js';

/**
 * Lambda event → object keys. Pure: no I/O, so every decoding and validation rule is unit-tested
 * without a server. Handles SQS messages that carry S3 notifications (the deployed path), direct
 * S3 events, and the `s3:TestEvent` S3 sends once when a notification is configured.
 */

/**
 * `url`: real S3 form-encodes keys in notifications (`a b=c` → `a+b%3Dc`).
 * `plain`: s3rver 3.7.1 sends keys verbatim, so decoding them would turn `+` into a space.
 */
export type KeyEncoding = 'url' | 'plain';

export interface S3ObjectRef {
  bucket: string;
  /** Decoded, validated key, relative to the bucket root. */
  key: string;
  eventName: string;
  size?: number;
}

export interface ParsedMessage {
  /** SQS messageId (what `batchItemFailures` names); null for a direct S3 event. */
  messageId: string | null;
  objects: S3ObjectRef[];
  /** Records deliberately skipped (test events, deletes, keys outside the prefix). */
  ignored: string[];
  /** Why the message, or one of its records, is unusable; never retried into success. */
  invalid: string[];
}

export interface ParseOptions {
  keyEncoding?: KeyEncoding;
  /** Only this bucket's events are accepted (the raw bucket the function is wired to). */
  bucket?: string;
  /** Only keys under this prefix are ingested (`raw/`). */
  prefix?: string;
}

const S3Record = z
  .object({
    eventSource: z.string().optional(),
    eventName: z.string(),
    s3: z.object({
      bucket: z.object({ name: z.string().min(1) }).loose(),
      object: z.object({ key: z.string().min(1), size: z.number().int().nonnegative().optional() }).loose(),
    }).loose(),
  })
  .loose();

const S3Notification = z.object({ Records: z.array(z.unknown()) }).loose();
const S3TestEvent = z.object({ Event: z.literal('s3:TestEvent') }).loose();

const SqsRecord = z
  .object({
    messageId: z.string().min(1),
    body: z.string(),
    eventSource: z.literal('aws:sqs'),
  })
  .loose();
const SqsEvent = z.object({ Records: z.array(SqsRecord).min(1) }).loose();

/** Characters S3 leaves unescaped in notification keys (Java URLEncoder's safe set, plus `/`). */
const S3_SAFE = /[A-Za-z0-9.\-_*/]/;

/** Encodes a key the way real S3 does in event notifications; used to build real-shaped events. */
export function encodeS3EventKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch === ' ') out += '+';
    else if (S3_SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Throws on malformed escapes (`%E0%A4%A`), which the caller reports as an invalid record. */
export function decodeS3EventKey(raw: string, encoding: KeyEncoding = 'url'): string {
  if (encoding === 'plain') return raw;
  return decodeURIComponent(raw.replace(/\+/g, ' '));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function parseS3Records(records: unknown[], opts: ParseOptions, into: ParsedMessage): void {
  const prefix = opts.prefix ?? '';
  records.forEach((raw, i) => {
    const rec = S3Record.safeParse(raw);
    if (!rec.success) {
      into.invalid.push(`Records[${i}]: not an S3 event record: ${rec.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    const { eventName, s3 } = rec.data;
    if (!eventName.startsWith('ObjectCreated:')) {
      into.ignored.push(`Records[${i}]: ${eventName}`);
      return;
    }
    if (opts.bucket !== undefined && s3.bucket.name !== opts.bucket) {
      into.invalid.push(`Records[${i}]: bucket ${JSON.stringify(s3.bucket.name)} is not the configured raw bucket`);
      return;
    }
    let key: string;
    try {
      key = decodeS3EventKey(s3.object.key, opts.keyEncoding);
      assertSafeKey(key);
    } catch (err) {
      into.invalid.push(`Records[${i}]: bad key ${JSON.stringify(s3.object.key)}: ${describe(err)}`);
      return;
    }
    if (!key.startsWith(prefix)) {
      into.ignored.push(`Records[${i}]: key outside ${prefix}`);
      return;
    }
    const ref: S3ObjectRef = { bucket: s3.bucket.name, key, eventName };
    if (s3.object.size !== undefined) ref.size = s3.object.size;
    into.objects.push(ref);
  });
}

/** One S3 notification document (a direct event, or the body of an SQS message). */
function parseNotification(doc: unknown, messageId: string | null, opts: ParseOptions): ParsedMessage {
  const msg: ParsedMessage = { messageId, objects: [], ignored: [], invalid: [] };
  if (S3TestEvent.safeParse(doc).success) {
    msg.ignored.push('s3:TestEvent');
    return msg;
  }
  const n = S3Notification.safeParse(doc);
  if (!n.success) {
    msg.invalid.push('not an S3 notification (no Records array)');
    return msg;
  }
  parseS3Records(n.data.Records, opts, msg);
  return msg;
}

function isSqsEvent(event: unknown): boolean {
  const first = (event as { Records?: Array<{ eventSource?: unknown }> })?.Records?.[0];
  return first?.eventSource === 'aws:sqs';
}

/**
 * Splits a Lambda event into per-message work. An SQS event yields one entry per SQS message
 * (so failures map to `batchItemFailures`); a direct S3 event yields a single entry with a
 * null messageId. Never throws: a bad shape becomes an `invalid` entry.
 */
export function parseIngestEvent(event: unknown, opts: ParseOptions = {}): ParsedMessage[] {
  if (isSqsEvent(event)) {
    const sqs = SqsEvent.safeParse(event);
    if (!sqs.success) return [{ messageId: null, objects: [], ignored: [], invalid: ['malformed SQS event'] }];
    return sqs.data.Records.map((r) => {
      let doc: unknown;
      try {
        doc = JSON.parse(r.body);
      } catch (err) {
        return { messageId: r.messageId, objects: [], ignored: [], invalid: [`body is not JSON: ${describe(err)}`] };
      }
      return parseNotification(doc, r.messageId, opts);
    });
  }
  return [parseNotification(event, null, opts)];
}
