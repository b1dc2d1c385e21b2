import { readFile } from 'node:fs/promises';
import { httpGet, httpGetBytes, type HttpLimits } from './http.js';
import { RawJson } from './raw-json.js';

export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeletConfig {
  /** `https://<node-ip>:10250` (secure port) or `http://<node-ip>:10255` (read-only port). */
  baseUrl: string;
  /** Bearer token file; re-read every capture because projected tokens rotate (about hourly). */
  tokenFile?: string;
  caFile?: string;
  limits: HttpLimits;
}

/**
 * GET /stats/summary. On the secure port the kubelet authorises `get nodes/stats` for the token's
 * identity (SubjectAccessReview); the read-only port has no auth at all, which is why it is only
 * used when the operator opts in.
 */
export async function fetchKubeletSummary(config: KubeletConfig): Promise<RawJson> {
  const url = new URL('/stats/summary', config.baseUrl);
  const headers: Record<string, string> = {};
  let ca: Buffer | undefined;
  if (url.protocol === 'https:') {
    if (config.tokenFile) headers.authorization = `Bearer ${(await readFile(config.tokenFile, 'utf8')).trim()}`;
    if (config.caFile) ca = await readFile(config.caFile);
  }
  const bytes = await httpGetBytes({ url, headers, ...(ca ? { ca } : {}), ...config.limits });
  // Kept as bytes: the bundle carries it verbatim (RawJson), so it is checked, never re-encoded.
  const raw = RawJson.object(bytes);
  if (!raw) throw new Error(`GET ${url.toString()}: not a JSON object`);
  return raw;
}

export interface NodeInfoFacts {
  kubeletVersion?: string;
  containerRuntime?: string;
  kernel?: string;
}

/**
 * Versions come from the Node object's status.nodeInfo (API server, `get nodes`): the kubelet
 * serves no version endpoint under nodes/stats, and asking for nodes/proxy just to read
 * /metrics would grant far more (exec-equivalent) than a version string is worth.
 */
export async function fetchNodeInfo(config: { apiServerUrl: string; nodeName: string; tokenFile?: string; caFile?: string; limits: HttpLimits }): Promise<NodeInfoFacts> {
  const url = new URL(`/api/v1/nodes/${encodeURIComponent(config.nodeName)}`, config.apiServerUrl);
  const headers: Record<string, string> = {};
  if (config.tokenFile) headers.authorization = `Bearer ${(await readFile(config.tokenFile, 'utf8')).trim()}`;
  const ca = config.caFile ? await readFile(config.caFile) : undefined;
  const node = JSON.parse(await httpGet({ url, headers, ...(ca ? { ca } : {}), ...config.limits })) as { status?: { nodeInfo?: Record<string, unknown> } };
  const info = node.status?.nodeInfo ?? {};
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, 256) : undefined);
  const out: NodeInfoFacts = {};
  const kubelet = str(info.kubeletVersion);
  const runtime = str(info.containerRuntimeVersion);
  const kernel = str(info.kernelVersion);
  if (kubelet) out.kubeletVersion = kubelet;
  if (runtime) out.containerRuntime = runtime;
  if (kernel) out.kernel = kernel;
  return out;
}
