import * as z from 'zod';
import { BATCH_SCHEMA_ID, CAPTURE_SCHEMA_ID, CLUSTER_PATTERN, NODE_PATTERN } from './names.js';

export { BATCH_SCHEMA_ID, CAPTURE_SCHEMA_ID, CLUSTER_PATTERN, NODE_PATTERN };

export const ClusterName = z.string().regex(CLUSTER_PATTERN, 'cluster must match [A-Za-z0-9._-]{1,63}').refine((s) => s !== '.' && s !== '..', 'cluster must not be . or ..');
export const NodeName = z.string().regex(NODE_PATTERN, 'node must match [A-Za-z0-9._-]{1,253}').refine((s) => s !== '.' && s !== '..', 'node must not be . or ..');

export const HostFacts = z
  .object({
    cgroupVersion: z.union([z.literal(1), z.literal(2)]).optional(),
    cgroupDriver: z.enum(['cgroupfs', 'systemd']).optional(),
    kernel: z.string().max(256).optional(),
    containerRuntime: z.string().max(256).optional(),
    dockerVersion: z.string().max(256).optional(),
    kubeletVersion: z.string().max(256).optional(),
    /** `kubectl version`: the client's and the API server's versions (the kubelet may lag the API server). */
    kubectlVersion: z.string().max(256).optional(),
    apiServerVersion: z.string().max(256).optional(),
  })
  .loose();
export type HostFacts = z.infer<typeof HostFacts>;

export const CgroupEntry = z.object({
  path: z.string().min(1).max(4096),
  files: z.record(z.string(), z.string()),
});
export type CgroupEntry = z.infer<typeof CgroupEntry>;

/**
 * The sources are kept as `unknown` here on purpose: each is validated by its own parser, so
 * one malformed source is reported precisely and the other sources of the capture still count.
 */
export const CaptureSources = z
  .object({
    kubeletSummary: z.unknown().optional(),
    dockerStats: z.array(z.string()).optional(),
    dockerStatsTable: z.string().optional(),
    dockerApiStats: z.array(z.unknown()).optional(),
    crictlStats: z.unknown().optional(),
    kubeletResourceMetrics: z.string().optional(),
    kubeletCadvisorMetrics: z.string().optional(),
    // Pasted `kubectl top pod [--containers]` tables ({text, namespace?}[]) and metrics.k8s.io objects (sources/kubectl.ts).
    kubectlTop: z.unknown().optional(),
    metricsApi: z.unknown().optional(),
    // Entries are validated one by one in sources/cgroup.ts, so a bad one is named by its index.
    cgroups: z.array(z.custom<CgroupEntry>()).optional(),
  })
  .refine((s) => Object.values(s).some((v) => v !== undefined), 'at least one source must be present');
export type CaptureSources = z.infer<typeof CaptureSources>;


export const CaptureBundle = z.object({
  schema: z.literal(CAPTURE_SCHEMA_ID),
  cluster: ClusterName,
  node: NodeName,
  capturedAt: z.iso.datetime({ offset: true }),
  host: HostFacts.optional(),
  sources: CaptureSources,
});
export type CaptureBundle = z.infer<typeof CaptureBundle>;

/**
 * `memgap.batch/v1`: what the agent uploads — every capture one node took since its last upload,
 * oldest first, in one gzip JSON object. The captures stay `memgap.capture/v1` verbatim (each is
 * validated on its own, so one bad capture is quarantined and its neighbours still count); the
 * batch only names the node so the object key can be checked against its content.
 * `flushReason` says why the agent did not wait for a full batch (`near-limit`, `oom-kill`,
 * `restart`, `shutdown`, …), for the logs; readers never depend on it.
 */
export const CaptureBatch = z.object({
  schema: z.literal(BATCH_SCHEMA_ID),
  cluster: ClusterName,
  node: NodeName,
  flushReason: z.string().max(64).optional(),
  captures: z.array(z.unknown()).min(1),
});
export type CaptureBatch = z.infer<typeof CaptureBatch>;
