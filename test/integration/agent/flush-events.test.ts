/**
 * Batching with incident data never held back: on a fake node's cgroup tree (v2, systemd), the
 * agent sends its first capture at once (start), holds ordinary captures for the batch, and sends
 * everything it holds within the same interval as a capture that shows a container crossing 90 %
 * of its limit, an OOM kill or a restarted container. The tree is rewritten between captures, from
 * the agent's own "capture spooled" log line, so each event lands in a known capture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../../src/agent/run.js';
import type { AgentLogger } from '../../../src/agent/log.js';
import { CaptureBatch } from '../../../src/model/bundle.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { readCaptureBytes } from '../../../src/sources/bundle.js';
import { analyze, resolveInputs } from '../../../src/pipeline/analyze.js';
import { FsObjectStore } from '../../../src/store/fs-store.js';
import { containerCgroupPath, fakeId, syntheticPods, writeCgroupTree, type CgroupFlavour } from './fake-host.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-flush-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const MiB = 1024 * 1024;

/** A folder store that notes, for each PUT, how many captures the agent had spooled by then. */
class CountingStore extends FsObjectStore {
  readonly puts: { key: string; spooledBefore: number }[] = [];
  spooled = 0;
  override async put(key: string, body: Buffer | Uint8Array | string): Promise<void> {
    this.puts.push({ key, spooledBefore: this.spooled });
    await super.put(key, body);
  }
}

describe('agent batching: events are flushed at once', () => {
  it('sends near-limit, OOM-kill and restart captures within their interval; ordinary captures wait for the batch', async () => {
    const flavour: CgroupFlavour = { version: 2, driver: 'systemd', runtime: 'cri-containerd' };
    const root = path.join(tmp, 'cgroup');
    const pods = syntheticPods(4);
    writeCgroupTree(root, flavour, pods);
    const store = new CountingStore(path.join(tmp, 'out'));
    let minute = 0;
    const now = (): Date => new Date(Date.UTC(2026, 10, 27, 6, minute++, 0));
    const instants: string[] = [];
    const log: AgentLogger = {
      debug() {},
      warn() {},
      error() {},
      info: (m, f) => {
        if (m !== 'capture spooled') return;
        store.spooled++;
        const key = f!.key as string;
        instants.push(key.slice(key.lastIndexOf('/') + 1, -'.json.gz'.length));
        // Rewritten before the next capture, so capture n+1 is the one that sees the event.
        if (store.spooled === 3) {
          // pod 0's app: 500 MiB used, 8 MiB of it inactive file → working set 492 MiB of a 512 MiB limit = 96 %.
          Object.assign(pods[0]!.containers[1]!, { usage: 500 * MiB, anon: 480 * MiB });
          writeCgroupTree(root, flavour, pods);
        } else if (store.spooled === 5) {
          pods[1]!.containers[1]!.oomKills = 1;
          writeCgroupTree(root, flavour, pods);
        } else if (store.spooled === 7) {
          // pod 2's app restarted: its cgroup is gone, a new container id took its place.
          const app = pods[2]!.containers[1]!;
          rmSync(path.join(root, containerCgroupPath(pods[2]!, app, flavour)), { recursive: true });
          app.id = fakeId('app-2-restarted');
          writeCgroupTree(root, flavour, pods);
        }
      },
    };
    const result = await runAgent({
      capture: { cluster: 'prod', node: 'node-1', crictl: false, cgroupRoot: root, now },
      store,
      spoolDir: path.join(tmp, 'spool'),
      spoolMaxBytes: 64 * MiB,
      intervalMs: 300,
      jitter: 0,
      batchSize: 15,
      log,
      maxCaptures: 10,
      random: () => 0.5,
    });
    expect(result).toMatchObject({ captures: 10, failures: 0, uploaded: 10, batches: 5 });

    const batches = await Promise.all(
      store.puts.map(async (p) => {
        // Read as the pipeline reads it (brotli by the key's .br).
        const batch = CaptureBatch.parse(JSON.parse((await readCaptureBytes(await store.getBytes(p.key), DEFAULT_LIMITS, p.key)).toString('utf8')));
        return { flushReason: batch.flushReason, captures: batch.captures.map((c) => (c as { capturedAt: string }).capturedAt), spooledBefore: p.spooledBefore };
      }),
    );
    const c = (n: number): string => instants[n - 1]!; // capture n (1-based)
    expect(batches).toEqual([
      // Agent start: the first capture goes at once.
      { flushReason: 'start', captures: [c(1)], spooledBefore: 1 },
      // Captures 2 and 3 waited; capture 4 shows the near-limit container and takes them along,
      // sent before capture 5 was taken: within one interval.
      { flushReason: 'near-limit', captures: [c(2), c(3), c(4)], spooledBefore: 4 },
      { flushReason: 'oom-kill', captures: [c(5), c(6)], spooledBefore: 6 },
      { flushReason: 'restart', captures: [c(7), c(8)], spooledBefore: 8 },
      // The container stays near its limit and the counter stays at 1: no more flushes; 9 and 10
      // waited for the batch and left with the agent's shutdown.
      { flushReason: 'shutdown', captures: [c(9), c(10)], spooledBefore: 10 },
    ]);
    for (const b of batches) expect(store.puts.find((p) => p.key.includes(b.captures[0]!))!.key).toMatch(new RegExp(`/dt=2026-11-27/${b.captures[0]}_${b.captures.length}\\.json\\.br$`));

    // `memgap analyze` on the agent's raw/ folder finds the .json.br batches and reads all 10 captures.
    const refs = await resolveInputs([path.join(tmp, 'out', 'raw')]);
    expect(refs.map((r) => r.key).sort()).toEqual(store.puts.map((p) => p.key).sort());
    const summary = await analyze(refs, new FsObjectStore(path.join(tmp, 'analyzed')), { workers: 0, compact: false, now: new Date('2026-11-27T07:00:00Z') });
    expect([summary.inputs, summary.captures, summary.quarantined]).toEqual([5, 10, 0]);
  }, 60_000);
});
