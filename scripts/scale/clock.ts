/**
 * Simulated time for the harness process while the Lambdas run at simulated instants: s3rver
 * (in this process) refuses requests signed more than 15 minutes from its own clock, so its
 * `Date` moves with the functions' (scripts/scale/lambda-runner.mjs does the same in the sandbox).
 * Timers are untouched (they use the monotonic clock).
 */
const RealDate = Date;
let offset = 0;

class SimDate extends RealDate {
  constructor(...args: ConstructorParameters<DateConstructor> | []) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...(args as ConstructorParameters<DateConstructor>));
  }
  static override now(): number {
    return RealDate.now() + offset;
  }
}

/** Moves this process's clock to `ms` (null: back to real time). */
export function setSimulatedNow(ms: number | null): void {
  offset = ms === null ? 0 : ms - RealDate.now();
  globalThis.Date = (ms === null ? RealDate : SimDate) as DateConstructor;
}
