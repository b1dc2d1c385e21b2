export { captureOnce, NoSourceError, type CaptureConfig, type CaptureResult } from './capture.js';
export { buildBundle, bundleKey, encodeBundle } from './bundle.js';
export { collectCgroups, detectCgroupLayout, type CgroupLayout, type CgroupScan } from './cgroups.js';
export { collectDocker, type DockerCapture } from './docker.js';
export { collectCrictl, findCrictl } from './crictl.js';
export { fetchKubeletSummary, fetchNodeInfo } from './kubelet.js';
export { Spool, Uploader, backoffDelay, type BackoffPolicy } from './spool.js';
export { runAgent, jitteredInterval, type AgentRunOptions } from './run.js';
export { jsonLogger, silentLogger, type AgentLogger } from './log.js';
