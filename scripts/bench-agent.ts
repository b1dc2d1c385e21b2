/**
 * `npm run bench`, agent section. This bundle plays two parts: run plainly it sets up the fake
 * node and starts itself again as the agent process (BENCH_AGENT_ENV set), whose CPU and RSS are
 * the figures — so they hold the agent's code and work, not the fake node's.
 */
import { fileURLToPath } from 'node:url';
import { BENCH_AGENT_ENV, benchAgentCapture, runBenchAgentRole } from './agent-bench.js';

const roleConfig = process.env[BENCH_AGENT_ENV];
if (roleConfig) {
  console.log(JSON.stringify(await runBenchAgentRole(roleConfig)));
} else {
  const runs = 3;
  console.log(`== agent: one capture of a 110-pod fake node (HTTPS kubelet, Docker socket, cgroup tree), ${runs} agent processes ==`);
  for (let i = 0; i < runs; i++) {
    // MEMGAP_BENCH_AGENT_FLAGS: extra V8 flags for the agent process, to try one before it goes in AGENT_NODE_FLAGS.
    const extra = process.env.MEMGAP_BENCH_AGENT_FLAGS?.split(' ').filter(Boolean);
    const r = await benchAgentCapture({ agentEntry: fileURLToPath(import.meta.url), pods: 110, ...(extra ? { extraNodeFlags: extra } : {}) });
    console.log(`CPU ${r.cpuMsPerCapture.toFixed(1)} ms/capture (target ≤ 50 ms), peak RSS ${r.peakRssMiB.toFixed(0)} MiB (target ≤ 64 MiB; ${r.baselineRssMiB.toFixed(0)} MiB once loaded), bundle ${(r.bundleBytes / 1024).toFixed(0)} KiB gzip, batch of ${r.batchCaptures} ${(r.batchBytes / 1024).toFixed(0)} KiB brotli (the fake node does not change between captures: real ones compress less)`);
  }
}
