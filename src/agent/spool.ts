import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ObjectStore } from '../store/port.js';
import { assertSafeKey } from '../store/port.js';
import { errorFields, silentLogger, type AgentLogger } from './log.js';

const SUFFIX = '.spool';
const TEMP = '.tmp-';

/**
 * A bounded on-disk queue of encoded captures waiting for upload. File names are
 * `<16-digit sequence>~<url-encoded object key>.spool`: lexicographic order is arrival order, so
 * "oldest first" survives restarts, and the key travels with the bytes.
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
  list(): { name: string; key: string; size: number }[] {
    const out: { name: string; key: string; size: number }[] = [];
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

/**
 * Drains the spool into the store, oldest first, one at a time: a capture is removed only after
 * its PUT succeeded, and a newer one is never sent while an older one is failing, so captures
 * arrive in order. A crash between PUT and remove re-sends the same bytes to the same key, which
 * overwrites: still one object per capture.
 */
export class Uploader {
  private attempt = 0;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  uploaded = 0;

  constructor(
    private readonly spool: Spool,
    private readonly store: ObjectStore,
    private readonly options: { backoff?: BackoffPolicy; log?: AgentLogger; random?: () => number; sleep?: (ms: number, wake: Promise<void>) => Promise<void> } = {},
  ) {}

  private get log(): AgentLogger {
    return this.options.log ?? silentLogger;
  }

  /** One pass: uploads until the spool is empty (true) or a PUT fails (false). */
  async drainOnce(): Promise<boolean> {
    for (const entry of this.spool.list()) {
      if (this.stopped) return false;
      let body: Buffer;
      try {
        body = this.spool.read(entry.name);
      } catch {
        continue; // dropped by the cap between list and read
      }
      try {
        await this.store.put(entry.key, body, 'application/gzip');
      } catch (err) {
        this.log.warn('upload failed; capture stays spooled', { key: entry.key, attempt: this.attempt, pending: this.spool.list().length, ...errorFields(err) });
        return false;
      }
      this.spool.remove(entry.name);
      this.uploaded++;
      if (this.attempt > 0) this.log.info('upload recovered', { key: entry.key, afterAttempts: this.attempt });
      this.attempt = 0;
      this.log.debug('uploaded capture', { key: entry.key, bytes: entry.size });
    }
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

  /** After stop(): one last pass without backoff (shutdown), so a healthy store leaves the spool empty. */
  async flush(): Promise<boolean> {
    if (this.running) return false;
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

function defaultSleep(ms: number, wake: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void wake.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
