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
 * - `--no-opt` (no TurboFan; Ignition and Sparkplug only): the first capture otherwise pages in
 *   ~3.5 MiB more of the `node` binary (the optimising compiler's code) plus its compile zones.
 *   Peak RSS 65–68 → 59–62 MiB. It costs CPU only where JS loops over bytes, so the agent has
 *   none: payloads are checked with JSON.parse (RawJson.object) and cgroup texts escaped by
 *   JSON.stringify; CPU per capture stayed within noise (30–41 ms, was 33–39 with TurboFan).
 *   Measured alongside: `--optimize-for-size` is still worth 9 MiB; `--max-semi-space-size=1` is
 *   now within noise (60.6–61.5 MiB without it, 61.1–61.7 with it); it stays, as a bound.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--no-opt'] as const;

export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
