/**
 * `npm run bench`: throughput and memory of the hot paths, each against a baseline measured in
 * the same run on the same bytes (README records the figures). Not a test: numbers, no asserts.
 */
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { renderCapture, steady, gzipBundle, type NodeModel, type PodModel } from '../src/demo/generator.js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { rawKey } from '../src/outputs/layout.js';
import { analyze, resolveInputs, type Phase } from '../src/pipeline/analyze.js';
import { finishPartitions } from '../src/pipeline/finish.js';
import { ingestObjects } from '../src/pipeline/ingest.js';
import { FsObjectStore } from '../src/store/fs-store.js';
import { discrepancyRows } from '../src/analysis/discrepancy.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { writeParquet } from '../src/outputs/parquet.js';
import { sampleRows } from '../src/outputs/sample-rows.js';
import { TABLES } from '../src/outputs/tables.js';
import { parseCaptureJson } from '../src/sources/bundle.js';
import { parseCaptureSources } from '../src/sources/index.js';
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
    sources: ['kubeletSummary', 'kubeletResourceMetrics', 'kubeletCadvisorMetrics', 'dockerStats', 'dockerStatsTable', 'dockerApiStats', 'crictlStats', 'cgroups'],
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
  const keys = captures.map((_, i) => `raw/c${i}.json.gz`);
  for (const [i, c] of captures.entries()) await input.put(keys[i]!, c);
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
    // As the ingest Lambda does it: the 20 objects as one staging batch (one file per table).
    await ingestObjects(input, keys, out, { statistics: false, fixedEncodings: true });
    const e = (performance.now() - t) / perRound;
    if (r > 0) {
      floor.push(f);
      full.push(e);
    }
  }
  const f = median(floor);
  const e = median(full);
  console.log('== core: one 110-pod node capture (220 app + 110 pause containers), all eight sources ==');
  console.log(`capture: ${captures[0]!.length} B gzip, ${json.length} B JSON`);
  console.log(`floor   gunzip + JSON.parse          ${f.toFixed(2)} ms/capture  (${(1000 / f).toFixed(0)} captures/s)`);
  console.log(`memgap  ingest end to end (staging)  ${e.toFixed(2)} ms/capture  (${(1000 / e).toFixed(0)} captures/s, one core; 20 objects as one staging batch, SNAPPY)`);
  console.log(`ratio   ${(e / f).toFixed(2)}× the floor (target ≤ 2×)`);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  // The rows every ingest must write, built once outside the timing: writing them alone is the
  // part of the work no parser or analysis change can remove.
  const rowsOf = captures.map((c) => {
    const bundle = parseCaptureJson(gunzipSync(c), DEFAULT_LIMITS);
    const ctx = { capturedAt: new Date(bundle.capturedAt), host: bundle.host ?? {}, limits: DEFAULT_LIMITS };
    const { samples } = parseCaptureSources(bundle, ctx);
    return { samples: sampleRows(samples, ctx.capturedAt, bundle.node), discrepancy: discrepancyRows(samples, { capturedAt: ctx.capturedAt, node: bundle.node, host: ctx.host }) };
  });
  const writeOnly: number[] = [];
  const writeOnlyUncompressed: number[] = [];
  const floorAgain: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    let t = performance.now();
    for (const c of captures) JSON.parse(gunzipSync(c).toString('utf8'));
    if (r > 0) floorAgain.push((performance.now() - t) / perRound);
    for (const [list, codec] of [[writeOnly, undefined], [writeOnlyUncompressed, 'UNCOMPRESSED']] as const) {
      t = performance.now();
      for (const rows of rowsOf) {
        writeParquet(TABLES.samples, rows.samples, { statistics: false, fixedEncodings: true, ...(codec ? { codec } : {}) });
        writeParquet(TABLES.discrepancy, rows.discrepancy, { statistics: false, fixedEncodings: true, ...(codec ? { codec } : {}) });
      }
      if (r > 0) list.push((performance.now() - t) / perRound);
    }
  }
  const w = median(writeOnly);
  const wu = median(writeOnlyUncompressed);
  const f2 = median(floorAgain);
  console.log('lower bound: the floor plus only writing the two Parquet files of the same rows (hyparquet-writer)');
  console.log(`  as ingest writes them (SNAPPY)     ${(f2 + w).toFixed(2)} ms/capture = ${((f2 + w) / f2).toFixed(2)}× the floor (${f2.toFixed(2)} ms, remeasured)`);
  console.log(`  fastest setting (UNCOMPRESSED)     ${(f2 + wu).toFixed(2)} ms/capture = ${((f2 + wu) / f2).toFixed(2)}× the floor`);
  await phases(captures[0]!, f);
}

/** Where the time goes, per phase, each as a multiple of the same floor. */
async function phases(capture: Buffer, floorMs: number): Promise<void> {
  const total: Record<string, number> = {};
  const time = <T>(name: string, fn: () => T): T => {
    const t = performance.now();
    const r = fn();
    total[name] = (total[name] ?? 0) + performance.now() - t;
    return r;
  };
  const n = 20;
  for (let i = 0; i < n; i++) {
    const bytes = time('gunzip', () => gunzipSync(capture));
    const bundle = time('JSON.parse + depth scan + bundle schema', () => parseCaptureJson(bytes, DEFAULT_LIMITS));
    const ctx = { capturedAt: new Date(bundle.capturedAt), host: bundle.host ?? {}, limits: DEFAULT_LIMITS };
    for (const name of Object.keys(bundle.sources)) {
      time(`source ${name}`, () => parseCaptureSources({ ...bundle, sources: { [name]: (bundle.sources as Record<string, unknown>)[name] } } as never, ctx));
    }
    const { samples } = parseCaptureSources(bundle, ctx);
    const rows = time('match + discrepancy', () => discrepancyRows(samples, { capturedAt: ctx.capturedAt, node: bundle.node, host: ctx.host }));
    const sr = sampleRows(samples, ctx.capturedAt, bundle.node);
    time(`Parquet samples (${sr.length} rows)`, () => writeParquet(TABLES.samples, sr, { statistics: false, fixedEncodings: true }));
    time(`Parquet discrepancy (${rows.length} rows)`, () => writeParquet(TABLES.discrepancy, rows, { statistics: false, fixedEncodings: true }));
  }
  console.log('phases (ms per capture, × floor):');
  for (const [name, ms] of Object.entries(total)) console.log(`  ${name.padEnd(44)} ${(ms / n).toFixed(2).padStart(6)}  ${(ms / n / floorMs).toFixed(2)}×`);
}

/** The floor on `threads` threads: each parses its share of the captures (thread start-up included, as analyze's is). */
async function floorOnThreads(captures: readonly Buffer[], threads: number): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads'); const { gunzipSync } = require('node:zlib');
parentPort.once('message', (list) => { for (const b of list) JSON.parse(gunzipSync(b).toString('utf8')); parentPort.postMessage('done'); });`;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: threads }, (_, w) => {
      const worker = new Worker(code, { eval: true });
      const share = captures.filter((_, i) => i % threads === w);
      return new Promise<void>((resolve, reject) => {
        worker.once('message', () => void worker.terminate().then(() => resolve()));
        worker.once('error', reject);
        worker.postMessage(share);
      });
    }),
  );
  return performance.now() - t;
}

interface AnalyzeRun {
  totalMs: number;
  /** CPU time of the whole process (every thread), user + system */
  cpuMs: number;
  ingestAndCompactMs: number;
  phases: { name: Phase; ms: number; steps: number; peakMiB: number }[];
  captures: number;
  compacted: number;
  trendRows: number;
  reports: number;
  peakMiB: number;
  startMiB: number;
}

/** One `analyze` + finish of a folder, in this (fresh) process: what `memgap analyze` does. */
async function runAnalyzeOnce(dir: string): Promise<AnalyzeRun> {
  const peakMiB = () => process.resourceUsage().maxRSS / 1024;
  const startMiB = peakMiB();
  const phases: AnalyzeRun['phases'] = [];
  const out = new FsObjectStore(path.join(dir, 'out'));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let prev = t0;
  const onPhase = (phase: Phase, done: number, total: number) => {
    if (done !== total) return;
    const now = performance.now();
    phases.push({ name: phase, ms: now - prev, steps: total, peakMiB: peakMiB() });
    prev = now;
  };
  const summary = await analyze(await resolveInputs([path.join(dir, 'in', 'raw')]), out, { onPhase });
  const tIngested = performance.now();
  const finish = await finishPartitions(out, summary.partitions, { onPhase });
  const totalMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { totalMs, cpuMs: (cpu.user + cpu.system) / 1000, ingestAndCompactMs: tIngested - t0, phases, captures: summary.captures, compacted: summary.compacted.length, trendRows: finish.trendRows, reports: finish.reports.length, peakMiB: peakMiB(), startMiB };
}

/**
 * Target: `analyze` of 200 one-minute captures of a 110-pod node, end to end (ingest into
 * staging, DuckDB compaction, trends_daily, the daily report), ≤ 5× the floor of the same run.
 * analyze runs in a fresh child process (so its peak RSS is its own); the floors are measured
 * here, before and after it.
 */
async function benchAnalyze(): Promise<void> {
  const node = syntheticNode(110);
  const dayStart = new Date('2026-11-27T00:00:00Z');
  const first = Date.parse('2026-11-27T10:00:00Z');
  const n = 200;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memgap-bench-analyze-'));
  try {
    const captures: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const b = renderCapture('bench', node, new Date(first + i * 60_000), dayStart, 3000);
      const bytes = gzipBundle(b);
      captures.push(bytes);
      const file = path.join(dir, 'in', ...rawKey(b.cluster, b.node, new Date(b.capturedAt)).split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
    const floor1: number[] = [];
    const floor1Cpu: number[] = [];
    const floor2: number[] = [];
    const measureFloors = async () => {
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        const cpu = process.cpuUsage();
        for (const c of captures) JSON.parse(gunzipSync(c).toString('utf8'));
        floor1.push(performance.now() - t);
        const used = process.cpuUsage(cpu);
        floor1Cpu.push((used.user + used.system) / 1000);
        floor2.push(await floorOnThreads(captures, 2));
      }
    };
    await measureFloors();
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], { env: { ...process.env, MEMGAP_BENCH_ANALYZE_DIR: dir }, encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`analyze child failed: ${child.stderr}`);
    const run = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as AnalyzeRun;
    await measureFloors();
    const f1 = median(floor1);
    const f2 = median(floor2);
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`== analyze end to end: ${n} one-minute captures of a 110-pod node (ingest, compaction, trends, report) ==`);
    console.log(`floor, 1 thread   gunzip + JSON.parse of the same ${n} files (in memory), median of 6   ${s(f1)}`);
    console.log(`floor, 2 threads  the same split over 2 worker threads (start-up included)          ${s(f2)}`);
    console.log(`analyze           ${s(run.totalMs)}  (ingest + compaction ${s(run.ingestAndCompactMs)}, trends + report ${s(run.totalMs - run.ingestAndCompactMs)}; fresh process)`);
    console.log(`ratio             ${(run.totalMs / f1).toFixed(2)}× the 1-thread floor (target ≤ 5×), ${(run.totalMs / f2).toFixed(2)}× the 2-thread floor`);
    const fc = median(floor1Cpu);
    console.log(`CPU time          analyze ${s(run.cpuMs)} on all threads, floor ${s(fc)}: ${(run.cpuMs / fc).toFixed(2)}× (on 2 free cores the wall clock could reach ${((run.cpuMs / 2) / fc).toFixed(2)}× the floor; other load inflates the wall-clock ratio above)`);
    for (const p of run.phases) console.log(`  phase ${p.name.padEnd(11)} ${s(p.ms)}  (${p.steps} steps; peak RSS so far ${p.peakMiB.toFixed(0)} MiB)`);
    console.log(`  ${run.captures} captures, ${run.compacted} partitions compacted, ${run.trendRows} trend series, ${run.reports} report files`);
    console.log(`peak RSS of analyze ${run.peakMiB.toFixed(0)} MiB (its process, worker threads included; ${run.startMiB.toFixed(0)} MiB at start); ${os.availableParallelism()} cores, shared: noisy`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.env.MEMGAP_BENCH_ANALYZE_DIR) {
  process.stdout.write(JSON.stringify(await runAnalyzeOnce(process.env.MEMGAP_BENCH_ANALYZE_DIR)) + '\n');
  process.exit(0);
}
await benchAnalyze();
await benchCore();
