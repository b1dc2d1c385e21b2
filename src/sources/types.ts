import type { HostFacts } from '../model/bundle.js';
import type { Sample } from '../model/sample.js';
import type { InputLimits } from '../limits.js';

/** What every source parser gets besides its input. */
export interface ParseContext {
  /** The bundle's capturedAt: the sample time of sources that carry none (cgroup files, docker CLI). */
  capturedAt: Date;
  host: HostFacts;
  limits: InputLimits;
}

/**
 * A source parser: validates one source of a capture (zod schema + normaliser) and returns the
 * canonical samples. Contract, enforced by property tests: for ANY input it returns samples or
 * throws `InvalidSnapshotError` (source, path or line, reason) — never another exception.
 */
export type SourceParser<Input = unknown> = (input: Input, ctx: ParseContext) => Sample[];
export type { Sample };
