// A warm Lambda sandbox for `npm run scale`: loads one function bundle (dist/functions/<name>.mjs,
// as deployed) and runs its `handler` for each event the parent sends over IPC, reporting what
// Lambda would: CPU time of the invocation (user + system, every thread, process.cpuUsage),
// wall time, and the process's peak RSS so far (VmHWM; Lambda's "Max Memory Used" is the sandbox's).
// Plain JS so it runs without a build step. Its stdout/stderr are the function's logs.
//
// Simulated time: an invocation may carry `nowMs`, the instant it runs at in the simulation (the
// ingest hour decides the staging `arrival` partition). `Date` is shifted by that offset for the
// invocation, as the parent shifts its own (s3rver checks request times against its clock).
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

// Peak RSS of this process: VmHWM, the high-water mark of its own address space. getrusage's
// maxRSS would read at least the parent's RSS at fork time (Linux keeps it across exec).
const peakRssBytes = () => {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {}
  return process.resourceUsage().maxRSS * 1024;
};
// Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM to the current RSS, so each invocation's own
// peak is known too (what the memory fits use); the sandbox's peak is kept separately.
const resetPeak = () => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};
let sandboxPeak = 0;

const RealDate = Date;
let offset = 0;
class SimDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = SimDate;

const [bundle, functionName, memorySize, timeoutSeconds] = process.argv.slice(2);
const mod = await import(bundle);
if (typeof mod.handler !== 'function') throw new Error(`${bundle} exports no handler`);

const mib = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;
process.on('message', async (msg) => {
  if (msg?.type !== 'invoke') return;
  offset = typeof msg.nowMs === 'number' ? msg.nowMs - RealDate.now() : 0;
  const deadline = Date.now() + Number(timeoutSeconds) * 1000;
  const awsRequestId = randomUUID();
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: String(memorySize),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/11/30/[$LATEST]${awsRequestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  sandboxPeak = Math.max(sandboxPeak, peakRssBytes());
  // Collect the previous invocations' garbage first (the parent starts us with --expose-gc), so the
  // invocation's own peak is its live data and garbage over the same baseline each time.
  globalThis.gc?.();
  const reset = resetPeak();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let result;
  let error;
  try {
    result = await mod.handler(msg.event, context);
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const cpu = process.cpuUsage(cpu0);
  process.send({
    type: 'done',
    id: msg.id,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - t0,
    // The invocation's own peak (when the high-water mark could be reset), and the sandbox's so far.
    peakRssMiB: reset ? mib(peakRssBytes()) : null,
    maxRssMiB: mib((sandboxPeak = Math.max(sandboxPeak, peakRssBytes()))),
    rssMiB: mib(process.memoryUsage.rss()),
    result: result === undefined ? null : JSON.parse(JSON.stringify(result)),
    error: error ?? null,
  });
});
process.send({ type: 'ready', maxRssMiB: mib(peakRssBytes()) });
