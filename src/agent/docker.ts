import { HttpStatusError, type HttpLimits } from './http.js';
import { RawJson } from './raw-json.js';
import { NotAnsweredError, UnixHttpConnection } from './unix-http.js';

export interface DockerConfig {
  socketPath: string;
  limits: HttpLimits;
  /** Parallel connections for the stats calls: a few hide dockerd's latency; 200 at once would spike its CPU. */
  concurrency?: number;
  /** Stats calls pipelined per connection at a time (sent in one write, answered in order). */
  pipelineDepth?: number;
  maxContainers?: number;
}

export interface DockerCapture {
  /** Verbatim `GET /containers/{id}/stats?stream=false` bodies, in /containers/json order. */
  stats: RawJson[];
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
  const width = Math.max(1, config.concurrency ?? 4);
  const connections = Array.from({ length: width }, () => new UnixHttpConnection(config.socketPath, config.limits));
  const getOn = async (conn: UnixHttpConnection, path: string): Promise<Buffer> => {
    const res = await conn.get(path);
    if (res.status < 200 || res.status > 299) throw new HttpStatusError(`unix:${config.socketPath}${path}`, res.status);
    return res.body;
  };
  try {
    const version = await getOn(connections[0]!, '/version').then(
      (t) => {
        // The version is a nicety: a garbled /version body must not cost the stats.
        let v: unknown;
        try {
          v = (JSON.parse(t.toString('utf8')) as { Version?: unknown }).Version;
        } catch {
          return undefined;
        }
        return typeof v === 'string' ? v.slice(0, 256) : undefined;
      },
      () => undefined,
    );
    const list = JSON.parse((await getOn(connections[0]!, '/containers/json')).toString('utf8')) as unknown;
    if (!Array.isArray(list)) throw new Error('docker /containers/json: not an array');
    const ids = (list as ContainerListItem[])
      .map((c) => c.Id)
      .filter((id): id is string => typeof id === 'string' && /^[0-9a-f]{12,64}$/.test(id))
      .slice(0, config.maxContainers ?? 10_000);
    const stats: (RawJson | undefined)[] = new Array(ids.length);
    let failed = 0;
    // Indexes into ids still to fetch. A call only queued behind a failed one goes back in the
    // queue; this ends, because every batch settles its first call for good (answer or error).
    const queue = ids.map((_, i) => i);
    const depth = Math.max(1, config.pipelineDepth ?? 16);
    const worker = async (conn: UnixHttpConnection): Promise<void> => {
      while (queue.length > 0) {
        const batch = queue.splice(0, depth);
        const results = await Promise.allSettled(batch.map((i) => getOn(conn, `/containers/${ids[i]!}/stats?stream=false&one-shot=true`)));
        results.forEach((r, k) => {
          const i = batch[k]!;
          if (r.status === 'fulfilled') {
            const body = RawJson.object(r.value);
            if (body) stats[i] = body;
            else failed++;
          } else if (r.reason instanceof NotAnsweredError) {
            queue.push(i);
          } else failed++;
        });
      }
    };
    await Promise.all(connections.slice(0, Math.max(1, Math.min(width, ids.length))).map(worker));
    return { stats: stats.filter((s): s is RawJson => s !== undefined), failed, ...(version ? { version } : {}) };
  } finally {
    for (const c of connections) c.close();
  }
}
