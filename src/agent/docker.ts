import http from 'node:http';
import { httpGet, type HttpLimits } from './http.js';

export interface DockerConfig {
  socketPath: string;
  limits: HttpLimits;
  /** Parallel stats calls: dockerd serialises little, but 200 at once would spike its CPU. */
  concurrency?: number;
  maxContainers?: number;
}

export interface DockerCapture {
  /** Verbatim `GET /containers/{id}/stats?stream=false` bodies, in /containers/json order. */
  stats: unknown[];
  version?: string;
  /** Containers whose stats call failed (gone between list and stats, usually). */
  failed: number;
}

interface ContainerListItem {
  Id?: unknown;
}

/**
 * Lists running containers then reads one stats sample each. `one-shot=true` (API ≥ 1.41, ignored
 * by older daemons) skips the second sample dockerd otherwise waits ~1 s for to fill
 * precpu_stats: the agent only needs memory, and a 1 s wait per container would spread the
 * capture over minutes on a busy node.
 */
export async function collectDocker(config: DockerConfig): Promise<DockerCapture> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.concurrency ?? 8 });
  const get = (path: string): Promise<string> =>
    httpGet({ url: new URL(path, 'http://docker'), socketPath: config.socketPath, agent, ...config.limits });
  try {
    const versionPromise = get('/version').then(
      (t) => {
        const v = (JSON.parse(t) as { Version?: unknown }).Version;
        return typeof v === 'string' ? v.slice(0, 256) : undefined;
      },
      () => undefined,
    );
    const list = JSON.parse(await get('/containers/json')) as unknown;
    if (!Array.isArray(list)) throw new Error('docker /containers/json: not an array');
    const ids = (list as ContainerListItem[])
      .map((c) => c.Id)
      .filter((id): id is string => typeof id === 'string' && /^[0-9a-f]{12,64}$/.test(id))
      .slice(0, config.maxContainers ?? 10_000);
    const stats: unknown[] = new Array(ids.length);
    let failed = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const i = next++;
        try {
          stats[i] = JSON.parse(await get(`/containers/${ids[i]!}/stats?stream=false&one-shot=true`)) as unknown;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.concurrency ?? 8, ids.length) }, worker));
    const version = await versionPromise;
    return { stats: stats.filter((s) => s !== undefined), failed, ...(version ? { version } : {}) };
  } finally {
    agent.destroy();
  }
}
