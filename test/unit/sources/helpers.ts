import { expect } from 'vitest';
import { InvalidSnapshotError, type SnapshotSource } from '../../../src/errors.js';

/** Runs `fn`, which must throw our typed error (from `source`, when given); returns it for inspection. */
export function rejectionOf(fn: () => unknown, source?: SnapshotSource): InvalidSnapshotError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSnapshotError);
    if (source) expect((err as InvalidSnapshotError).source).toBe(source);
    return err as InvalidSnapshotError;
  }
  throw new Error('expected an InvalidSnapshotError, nothing was thrown');
}
