/**
 * `npm run bench`: throughput and memory of the hot paths, each against a baseline measured in
 * the same run on the same bytes (README records the figures). Not a test: numbers, no asserts.
 */
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { renderCapture, steady, gzipBundle, type NodeModel, type PodModel } from '../src/demo/generator.js';
import { ingestObject } from '../src/pipeline/ingest.js';
import { MemoryObjectStore } from '../src/store/memory-store.js';

const MiB = 1024 * 1024;

function syntheticNode(pods: number): NodeModel {
  const list: PodModel[] = [];
  for (let i = 0; i < pods; i++) {
    list.push({
      namespace: `ns-${i % 7}`,
      name: `app-${i}-7d9f8b6c5-x${i}`,
      qos: i % 3 === 0 ? 'guaranteed' : 'burstable',
      containers: [
        { name: 'app', limit: 1024 * MiB, curve: steady(`app${i}`, 100 + (i % 50), 30, 40, i % 10 === 0 ? 20 : 0) },
        { name: 'sidecar', limit: 128 * MiB, curve: steady(`side${i}`, 20, 2, 3) },
      ],
    });
  }
  return {
    name: 'bench-node-1', cgroupVersion: 1, driver: 'cgroupfs', runtime: 'docker',
    host: { cgroupVersion: 1, cgroupDriver: 'cgroupfs', dockerVersion: '24.0.7', containerRuntime: 'docker://24.0.7' },
    pods: list,
    sources: ['kubeletSummary', 'kubeletResourceMetrics', 'dockerStats', 'dockerApiStats', 'crictlStats', 'cgroups'],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function benchCore(): Promise<void> {
  const node = syntheticNode(110);
  const dayStart = new Date('2026-11-27T00:00:00Z');
  const captures = Array.from({ length: 20 }, (_, i) => gzipBundle(renderCapture('bench', node, new Date(dayStart.getTime() + i * 60_000), dayStart, 3000)));
  const input = new MemoryObjectStore();
  for (const [i, c] of captures.entries()) await input.put(`raw/c${i}.json.gz`, c);
  const json = gunzipSync(captures[0]!);
  const rounds = 7;
  const perRound = captures.length;

  const floor: number[] = [];
  const full: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    let t = performance.now();
    for (const c of captures) JSON.parse(gunzipSync(c).toString('utf8'));
    const f = (performance.now() - t) / perRound;
    const out = new MemoryObjectStore();
    t = performance.now();
    for (let i = 0; i < perRound; i++) await ingestObject(input, `raw/c${i}.json.gz`, out);
    const e = (performance.now() - t) / perRound;
    if (r > 0) {
      floor.push(f);
      full.push(e);
    }
  }
  const f = median(floor);
  const e = median(full);
  console.log('== core: one 110-pod node capture (220 app + 110 pause containers), all sources but /metrics/cadvisor ==');
  console.log(`capture: ${captures[0]!.length} B gzip, ${json.length} B JSON`);
  console.log(`floor   gunzip + JSON.parse          ${f.toFixed(2)} ms/capture  (${(1000 / f).toFixed(0)} captures/s)`);
  console.log(`memgap  ingest end to end (Parquet)  ${e.toFixed(2)} ms/capture  (${(1000 / e).toFixed(0)} captures/s, one core)`);
  console.log(`ratio   ${(e / f).toFixed(2)}× the floor (target ≤ 2×)`);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

await benchCore();
