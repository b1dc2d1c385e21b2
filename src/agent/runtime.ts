/**
 * How the agent process runs: the V8 flags and environment of the image (deploy/Dockerfile
 * ENTRYPOINT and ENV; test/unit/agent/runtime.test.ts keeps them equal to these), which the
 * benchmark gives its agent process too, so the figures are the image's.
 *
 * On a 110-pod fake node (npm run bench, maxRSS of the agent process; CPU per capture):
 * - `--max-semi-space-size=1` (MiB): V8 otherwise grows the young generation towards 16 MiB per
 *   semi-space as soon as something allocates fast, and a capture does, once a minute. A
 *   capture's live data is well under 1 MiB. Peak RSS 80–81 → 74–76 MiB, CPU unchanged within noise.
 * - `--optimize-for-size`: smaller heap growth steps and code; 74–77 → 65–68 MiB, for ~+3 ms
 *   CPU per capture, which keeping cgroup files open (CgroupFileHandles) more than paid for.
 * - `MALLOC_ARENA_MAX=2`: glibc otherwise gives each libuv/V8 worker thread its own malloc arena,
 *   each holding freed memory; ~1–2 MiB less, no CPU change measurable.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'] as const;

export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
