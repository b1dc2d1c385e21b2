/**
 * Partition names and the bundle schema id, free of zod so the node agent can use them without
 * loading it (docs/agent.md: zod alone is ~14 MiB of the agent's RSS). Partition values
 * become object keys, so they are validated before any path is built.
 */
export const CAPTURE_SCHEMA_ID = 'memgap.capture/v1';
/** Several captures of one node in one object: the agent's normal upload (fewer, larger objects). */
export const BATCH_SCHEMA_ID = 'memgap.batch/v1';
export const CLUSTER_PATTERN = /^[A-Za-z0-9._-]{1,63}$/;
export const NODE_PATTERN = /^[A-Za-z0-9._-]{1,253}$/;

/** Matches the pattern and is not a path step (`.`, `..`). */
export function validName(text: string, pattern: RegExp): boolean {
  return pattern.test(text) && text !== '.' && text !== '..';
}
