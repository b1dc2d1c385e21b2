/**
 * V8 flags the agent image runs with (deploy/Dockerfile ENTRYPOINT; test/unit/agent/runtime.test.ts
 * keeps the two equal) and the agent benchmark runs its agent process with.
 *
 * `--max-semi-space-size=1` (MiB): V8 otherwise grows the young generation up to 16 MiB per
 * semi-space (48 MiB of RSS in all) as soon as something allocates fast, and a capture does,
 * in bursts, once a minute. A capture's live data is well under 1 MiB, so scavenges stay cheap and
 * the measured CPU per capture did not move, while peak RSS dropped by ~20 MiB.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1'] as const;
