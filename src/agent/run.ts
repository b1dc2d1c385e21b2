import type { ObjectStore } from '../store/port.js';
import { bundleKey, encodeBundle } from './bundle.js';
import { captureOnce, type CaptureConfig } from './capture.js';
import { errorFields, silentLogger, type AgentLogger } from './log.js';
import { FlushWatch } from './signals.js';
import { Spool, Uploader, type BackoffPolicy } from './spool.js';

export interface AgentRunOptions {
  capture: CaptureConfig;
  store: ObjectStore;
  spoolDir: string;
  spoolMaxBytes: number;
  intervalMs: number;
  /** Fraction of the interval each wait varies by (±), so a DaemonSet's pods spread out. */
  jitter?: number;
  backoff?: BackoffPolicy;
  /** Captures per uploaded object (default DEFAULT_BATCH_SIZE, src/agent/batch.ts). */
  batchSize?: number;
  log?: AgentLogger;
  signal?: AbortSignal;
  /** Stop after this many captures (tests); default: until aborted. */
  maxCaptures?: number;
  random?: () => number;
}

/** Next wait: interval × (1 ± jitter), uniform. */
export function jitteredInterval(intervalMs: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(intervalMs * (1 + jitter * (2 * random() - 1))));
}

/**
 * The agent loop: capture → validate → gzip → spool → (background) upload in batches. Every
 * capture goes through the spool, so an upload outage only grows the spool and the loop's cadence
 * does not change. A batch leaves when it is full, or at once when the capture shows something
 * worth seeing now (FlushWatch: OOM kill, restart, near-limit) and at agent start. On abort the
 * uploader gets one last pass that sends everything; what it cannot send stays spooled for the
 * next start, which flushes it first.
 */
export async function runAgent(options: AgentRunOptions): Promise<{ captures: number; failures: number; uploaded: number; batches: number }> {
  const log = options.log ?? silentLogger;
  const random = options.random ?? Math.random;
  const spool = new Spool(options.spoolDir, options.spoolMaxBytes, log);
  const uploader = new Uploader(spool, options.store, {
    log,
    random,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  const watch = new FlushWatch();
  const pending = spool.list().length;
  if (pending > 0) {
    log.info('resuming with spooled captures', { pending });
    uploader.requestFlush('start');
  }
  uploader.start();
  let captures = 0;
  let failures = 0;
  // Start at a random point of the first interval so nodes rebooted together do not capture in lockstep.
  let wait = options.maxCaptures !== undefined ? 0 : Math.floor(random() * options.intervalMs);
  try {
    while (!options.signal?.aborted) {
      if (wait > 0 && !(await sleepUnlessAborted(wait, options.signal))) break;
      const started = Date.now();
      try {
        const { bundle, report, readings } = await captureOnce(options.capture, log);
        const key = bundleKey(bundle);
        const body = await encodeBundle(bundle);
        spool.add(key, body);
        captures++;
        // The first capture sets the watch's baseline; it is flushed anyway (agent start).
        const decision = watch.check(readings);
        log.info('capture spooled', { key, bytes: body.length, ms: Date.now() - started, sources: report });
        if (captures === 1) uploader.requestFlush('start');
        else if (decision) {
          log.info('flushing at once', { reason: decision.reason, cgroups: decision.paths.slice(0, 5), count: decision.paths.length });
          uploader.requestFlush(decision.reason);
        } else uploader.notify();
      } catch (err) {
        failures++;
        log.error('capture failed', errorFields(err));
      }
      if (options.maxCaptures !== undefined && captures + failures >= options.maxCaptures) break;
      wait = jitteredInterval(options.intervalMs, options.jitter ?? 0.1, random) - (Date.now() - started);
    }
  } finally {
    await uploader.stop();
    await uploader.flush('shutdown').catch(() => false);
  }
  return { captures, failures, uploaded: uploader.uploaded, batches: uploader.batches };
}

function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
