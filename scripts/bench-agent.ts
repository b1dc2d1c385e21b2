/** `npm run bench`, agent section: in its own process and bundle, so its RSS is the agent's own. */
import { benchAgentCapture } from '../src/agent/bench.js';

const r = await benchAgentCapture({ pods: 110 });
console.log('== agent: one capture of a 110-pod fake node (HTTPS kubelet, Docker socket, cgroup tree) ==');
console.log(`CPU ${r.cpuMsPerCapture.toFixed(1)} ms/capture (target ≤ 50 ms), peak RSS ${r.peakRssMiB.toFixed(0)} MiB (target ≤ 64 MiB; ${r.baselineRssMiB.toFixed(0)} MiB before the first capture)`);
