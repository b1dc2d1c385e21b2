import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ObjectStore } from '../store/port.js';
import { assertSafeKey } from '../store/port.js';
import { SpooledCaptureError } from '../errors.js';
import { BATCH_CONTENT, batchObjectKey, captureOfKey, DEFAULT_BATCH_SIZE, encodeBatch } from './batch.js';
import { errorFields, silentLogger, type AgentLogger } from './log.js';

const SUFFIX = '.spool';
const TEMP = '.tmp-';

export interface SpoolEntry {
  name: string;
  /** The capture's own key (rawKey): where its cluster, node and instant are read from. */
  key: string;
  size: number;
}

/**
 * A bounded on-disk queue of gzipped captures waiting for upload, one file per capture (batches
 * are built from them at upload time, so a capture not yet in a sent batch survives a restart).
 * File names are `<16-digit sequence>~<url-encoded capture key>.spool`: lexicographic order is
 * arrival order, so "oldest first" survives restarts, and the key travels with the bytes.
 */
export class Spool {
  private seq: number;
  constructor(readonly dir: string, readonly maxBytes: number, private readonly log: AgentLogger = silentLogger) {
    mkdirSync(dir, { recursive: true });
    // Resume numbering after the newest file so a restart never sorts new captures before old ones.
    const last = this.list().at(-1);
    this.seq = last ? Number(last.name.slice(0, 16)) + 1 : Date.now() * 1000;
  }

  /** Pending entries, oldest first. Temp files of an interrupted write are ignored. */
  list(): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (!name.endsWith(SUFFIX) || name.startsWith(TEMP)) continue;
      const tilde = name.indexOf('~');
      if (tilde !== 16) continue;
      let size = 0;
      try {
        size = statSync(path.join(this.dir, name)).size;
      } catch {
        continue;
      }
      out.push({ name, key: decodeURIComponent(name.slice(17, -SUFFIX.length)), size });
    }
    return out;
  }

  /** Adds a capture (atomic: temp file + rename), then enforces the cap by dropping the oldest. */
  add(key: string, body: Buffer): void {
    assertSafeKey(key);
    const name = `${String(this.seq++).padStart(16, '0')}~${encodeURIComponent(key)}${SUFFIX}`;
    const temp = path.join(this.dir, `${TEMP}${name}`);
    writeFileSync(temp, body);
    renameSync(temp, path.join(this.dir, name));
    this.enforceCap();
  }

  private enforceCap(): void {
    const entries = this.list();
    let total = entries.reduce((s, e) => s + e.size, 0);
    let dropped = 0;
    let droppedBytes = 0;
    // The newest capture is always kept, even alone over the cap: it is the one that matters now.
    for (const e of entries.slice(0, -1)) {
      if (total <= this.maxBytes) break;
      try {
        unlinkSync(path.join(this.dir, e.name));
      } catch {
        continue;
      }
      total -= e.size;
      dropped++;
      droppedBytes += e.size;
    }
    if (dropped > 0) this.log.warn('spool over its cap: dropped oldest captures', { dropped, droppedBytes, maxBytes: this.maxBytes, remainingBytes: total });
  }

  read(name: string): Buffer {
    return readFileSync(path.join(this.dir, name));
  }

  remove(name: string): void {
    try {
      unlinkSync(path.join(this.dir, name));
    } catch {
      // already gone (dropped by the cap meanwhile)
    }
  }
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(max, base·2^n)]. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/** Why the uploader sends a batch before it is full, and the newest spool entry it must include. */
interface FlushRequest {
  reason: string;
  upTo: string;
}

export interface UploaderOptions {
  backoff?: BackoffPolicy;
  log?: AgentLogger;
  random?: () => number;
  sleep?: (ms: number, wake: Promise<void>) => Promise<void>;
  /** Captures per object (default DEFAULT_BATCH_SIZE); fewer only when a flush is requested. */
  batchSize?: number;
}

/**
 * Drains the spool into the store as `memgap.batch/v1` objects, oldest first: a batch is sent
 * once `batchSize` captures wait, or at once when a flush was requested (near-limit, OOM kill,
 * restart, agent start or stop: run.ts). Captures leave the spool only after their batch's PUT
 * succeeded, and a newer batch is never sent while an older one is failing, so captures arrive in
 * order. A crash between PUT and remove sends the same captures again on the next start; the
 * pipeline keeps one copy per (cluster, node, capturedAt), so nothing is counted twice.
 */
export class Uploader {
  private attempt = 0;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private request: FlushRequest | null = null;
  readonly batchSize: number;
  /** Captures uploaded. */
  uploaded = 0;
  /** Objects (batches) uploaded. */
  batches = 0;

  constructor(
    private readonly spool: Spool,
    private readonly store: ObjectStore,
    private readonly options: UploaderOptions = {},
  ) {
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  }

  private get log(): AgentLogger {
    return this.options.log ?? silentLogger;
  }

  /**
   * Asks for everything spooled now to be sent without waiting for a full batch. A later capture
   * still waits for its batch; a request made while one is pending keeps the newer reason.
   */
  requestFlush(reason: string): void {
    const newest = this.spool.list().at(-1);
    if (!newest) return;
    this.request = { reason, upTo: newest.name };
    this.notify();
  }

  /** A flush was asked for and not fully sent yet. */
  get flushPending(): boolean {
    return this.request !== null;
  }

  /** One pass: uploads every batch due (true), or stops at the first failed PUT (false). */
  async drainOnce(): Promise<boolean> {
    let entries = this.spool.list();
    /** Spool files sent alone this pass because they do not inflate: never read into a batch again. */
    const unreadable = new Set<string>();
    let at = 0;
    while (at < entries.length) {
      if (this.stopped) return false;
      const chunk = nextChunk(entries, at, this.batchSize);
      const request = this.request;
      const reason = request !== null && chunk.entries[0]!.name <= request.upTo ? request.reason : undefined;
      // Partial batches wait, unless a flush asked for them.
      if (chunk.capture && chunk.entries.length < this.batchSize && reason === undefined) return true;
      at += chunk.entries.length;
      const bodies: Buffer[] = [];
      const sent: SpoolEntry[] = [];
      for (const e of chunk.entries) {
        if (unreadable.has(e.name)) continue;
        try {
          bodies.push(this.spool.read(e.name));
          sent.push(e);
        } catch {
          // dropped by the cap between list and read
        }
      }
      if (sent.length === 0) continue;
      const first = captureOfKey(sent[0]!.key);
      let object = { key: sent[0]!.key, body: bodies[0]!, type: 'application/gzip', encoding: undefined as string | undefined };
      let alone = false;
      if (chunk.capture && first) {
        try {
          const body = await encodeBatch({ cluster: first.cluster, node: first.node, ...(reason ? { flushReason: reason } : {}) }, bodies);
          object = { key: batchObjectKey(first, sent.length), body, ...BATCH_CONTENT };
        } catch (err) {
          if (!(err instanceof SpooledCaptureError)) throw err;
          // A spooled file that does not inflate (a disk fault) goes alone, as it is, under its own
          // key: the pipeline quarantines it with its reason. Its chunk is then built again without it.
          const bad = sent[err.index]!;
          this.log.warn('spooled capture unreadable; sending it alone', { key: bad.key, ...errorFields(err) });
          object = { key: bad.key, body: bodies[err.index]!, type: 'application/gzip', encoding: undefined };
          sent.splice(0, sent.length, bad);
          unreadable.add(bad.name);
          alone = true;
        }
      }
      const { key, body } = object;
      try {
        await this.store.put(key, body, object.type, object.encoding);
      } catch (err) {
        this.log.warn('upload failed; captures stay spooled', { key, attempt: this.attempt, pending: this.spool.list().length, ...errorFields(err) });
        return false;
      }
      for (const e of sent) this.spool.remove(e.name);
      this.uploaded += sent.length;
      this.batches++;
      if (this.attempt > 0) this.log.info('upload recovered', { key, afterAttempts: this.attempt });
      this.attempt = 0;
      this.log.debug('uploaded batch', { key, captures: sent.length, bytes: body.length, ...(reason ? { flushReason: reason } : {}) });
      if (alone) {
        entries = this.spool.list().filter((e) => !unreadable.has(e.name));
        at = 0;
      } else if (request !== null && this.request === request && sent.at(-1)!.name >= request.upTo) this.request = null;
    }
    if (this.request !== null && (entries.length === 0 || entries.at(-1)!.name >= this.request.upTo)) this.request = null;
    return true;
  }

  /** Wakes the loop now (a new capture was spooled); a backoff in progress is not cut short. */
  notify(): void {
    if (this.attempt === 0) this.wake?.();
  }

  /** Starts the background loop; collection never awaits it. */
  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = null;
  }

  /** After stop(): one last pass without backoff that sends everything spooled (shutdown), so a healthy store leaves the spool empty. */
  async flush(reason = 'shutdown'): Promise<boolean> {
    if (this.running) return false;
    this.requestFlush(reason);
    this.stopped = false;
    try {
      return await this.drainOnce();
    } finally {
      this.stopped = true;
    }
  }

  private async loop(): Promise<void> {
    const policy = this.options.backoff ?? { baseMs: 1000, maxMs: 5 * 60_000 };
    while (!this.stopped) {
      const wakePromise = new Promise<void>((resolve) => (this.wake = resolve));
      const ok = await this.drainOnce();
      if (this.stopped) break;
      if (ok) {
        await wakePromise;
      } else {
        const delay = backoffDelay(this.attempt++, policy, this.options.random);
        const sleep = this.options.sleep ?? defaultSleep;
        await sleep(delay, this.stopped ? Promise.resolve() : new Promise<void>((resolve) => (this.wake = resolve)));
      }
    }
  }
}

/**
 * The next batch from `entries[at]`: up to `size` captures of the same cluster and node (one
 * spool serves one node, but a renamed node's leftovers must not share its successor's key). An
 * entry whose key is not a capture key (not written by this agent) goes alone, as it is.
 */
function nextChunk(entries: readonly SpoolEntry[], at: number, size: number): { entries: SpoolEntry[]; capture: boolean } {
  const first = captureOfKey(entries[at]!.key);
  if (!first) return { entries: [entries[at]!], capture: false };
  const out = [entries[at]!];
  for (let i = at + 1; i < entries.length && out.length < size; i++) {
    const c = captureOfKey(entries[i]!.key);
    if (!c || c.cluster !== first.cluster || c.node !== first.node) break;
    out.push(entries[i]!);
  }
  return { entries: out, capture: true };
}

function defaultSleep(ms: number, wake: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void wake.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
