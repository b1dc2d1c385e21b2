/**
 * The scale harness's Lambda sandbox measures what the cost model bills: CPU per invocation, each
 * invocation's own peak RSS (the high-water mark reset in between), and runs the handler at the
 * simulated instant it is given.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../scripts/scale/lambda.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-sandbox-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('scale Lambda sandbox', () => {
  it('reports each invocation’s own peak, its CPU, and runs it at the simulated time', async () => {
    const bundle = path.join(tmp, 'fn.mjs');
    writeFileSync(
      bundle,
      `export const handler = async (event) => {
        let kept = null;
        if (event.mib) { kept = Buffer.alloc(event.mib * 1024 * 1024, 1); }
        let x = 0; const c0 = process.cpuUsage(); while (process.cpuUsage(c0).user < (event.spinMs ?? 0) * 1000) x++;
        console.log(JSON.stringify({ message: 'done', x: x > 0 }));
        return { now: new Date().toISOString(), length: kept ? kept.length : 0 };
      };`,
    );
    const sb = await startSandbox({ name: 'fn', bundle, memorySize: 512, timeout: 30, env: {} });
    try {
      const at = Date.parse('2026-11-29T01:10:00Z');
      const big = await sb.invoke({ mib: 200 }, 1, at);
      const small = await sb.invoke({ mib: 0, spinMs: 150 }, 1);
      expect(big.error).toBeNull();
      // Simulated time: the handler's clock reads the instant it was given (within the run's duration).
      const seen = Date.parse((big.result as { now: string }).now);
      expect(seen).toBeGreaterThanOrEqual(at);
      expect(seen - at).toBeLessThan(5_000);
      expect((small.result as { now: string }).now.slice(0, 4)).toBe(String(new Date().getUTCFullYear()));
      // 200 MiB touched in the first invocation: its own peak holds it, the second's (reset) does not,
      // while the sandbox's peak (Lambda's Max Memory Used) keeps it.
      expect(big.peakRssMiB!).toBeGreaterThan(sb.initMaxRssMiB + 190);
      expect(small.peakRssMiB!).toBeLessThan(big.peakRssMiB! - 150);
      expect(small.maxRssMiB).toBeGreaterThanOrEqual(big.peakRssMiB!);
      // The handler spun until it had used 150 ms of user CPU itself.
      expect(small.cpuMs).toBeGreaterThanOrEqual(150);
      expect(sb.logText()).toContain('"message":"done"');
    } finally {
      await sb.close();
    }
  }, 60_000);
});
