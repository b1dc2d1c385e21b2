/**
 * What the daily report step pulls into its process, against the size of the cluster-day:
 * `node scripts/run-ts.mjs scripts/report-bounds.ts [pods,…] [samples]` (default 1000,3000,10000
 * pods × 96 captures). For each size it writes the synthetic day (test/integration/helpers/
 * synthetic-day.ts: 110 pods and 330 series per node), builds trends_daily with the real step, then
 * runs the real report through a counting engine and prints every statement's rows and JSON bytes
 * (what Athena's GetQueryResults would carry into the daily Lambda), the V8 heap's peak during the report,
 * the size of the three files written, and — for comparison — the rows and bytes of every
 * trends_daily row of the day (what the report read before it read bounded sets). `--json` prints
 * the figures as JSON. DuckDB runs in this process, so the process RSS says nothing about the
 * Lambda (whose engine is Athena): the heap and the result bytes do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openQueryEngine } from '../src/query/engine.js';
import { buildDailyReport, renderHtml, renderMarkdown } from '../src/reports/daily.js';
import { FsObjectStore } from '../src/store/fs-store.js';
import { buildTrends } from '../src/trends/build.js';
import { countingEngine, wholeDayRead } from '../test/integration/helpers/report-reads.js';
import { PODS_PER_NODE, SYNTHETIC_CLUSTER as CLUSTER, SYNTHETIC_DT as DT, writeSyntheticDay } from '../test/integration/helpers/synthetic-day.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const KiB = 1024;
const MiB = 1024 * 1024;

const args = process.argv.slice(2).filter((a) => a !== '--json');
const asJson = process.argv.includes('--json');
const sizes = (args[0] ?? '1000,3000,10000').split(',').map(Number);
const samples = Number(args[1] ?? 96);

const results = [];
for (const pods of sizes) {
  const root = await mkdtemp(path.join(os.tmpdir(), `memgap-report-bounds-${pods}-`));
  try {
    await writeSyntheticDay(root, pods, samples);
    const engine = await openQueryEngine(root);
    try {
      const trends = await buildTrends(engine, new FsObjectStore(root), DT, CLUSTER);
      const counted = countingEngine(engine);
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      let heapPeak = heap0;
      const timer = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 5);
      const t0 = performance.now();
      const built = await buildDailyReport(counted.engine, DT, CLUSTER);
      const files = { json: JSON.stringify(built.report, null, 2).length, md: renderMarkdown(built.report).length, html: renderHtml(built.report, built.series, built.gapSeries).length };
      const ms = performance.now() - t0;
      clearInterval(timer);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      // keep the report alive until the heap was measured
      if (built.report.totals.pods !== pods) throw new Error(`expected ${pods} pods, the report counts ${built.report.totals.pods}`);
      const whole = await wholeDayRead(engine, DT, CLUSTER);
      results.push({
        pods,
        nodes: Math.ceil(pods / PODS_PER_NODE),
        samples,
        trendsRows: trends.rows,
        reads: counted.reads,
        readRows: counted.reads.reduce((a, r) => a + r.rows, 0),
        readBytes: counted.reads.reduce((a, r) => a + r.jsonBytes, 0),
        heapPeakBytes: heapPeak - heap0,
        fileBytes: files,
        reportMs: Math.round(ms),
        before: whole,
      });
    } finally {
      await engine.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (asJson) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(`== daily report reads (synthetic cluster-day, ${samples} captures per series, ${PODS_PER_NODE} pods and ${3 * PODS_PER_NODE} series per node) ==`);
  for (const r of results) {
    console.log(`\n${r.pods} pods on ${r.nodes} nodes: ${r.trendsRows} trends_daily rows; report step ${r.reportMs} ms on local DuckDB (noisy: 2 shared cores)`);
    for (const s of r.reads) console.log(`  ${s.name.padEnd(22)} ${String(s.rows).padStart(6)} rows  ${(s.jsonBytes / KiB).toFixed(1).padStart(8)} KiB`);
    console.log(`  ${'total'.padEnd(22)} ${String(r.readRows).padStart(6)} rows  ${(r.readBytes / KiB).toFixed(1).padStart(8)} KiB; V8 heap peak above the start ${(r.heapPeakBytes / MiB).toFixed(1)} MiB (sampled every 5 ms, garbage included); files json ${(r.fileBytes.json / KiB).toFixed(0)} KiB, md ${(r.fileBytes.md / KiB).toFixed(0)} KiB, html ${(r.fileBytes.html / KiB).toFixed(0)} KiB`);
    console.log(`  before (all trends_daily rows): ${r.before.rows} rows, ${(r.before.jsonBytes / MiB).toFixed(1)} MiB of JSON = ${(r.before.jsonBytes / r.nodes / MiB).toFixed(2)} MiB per node`);
  }
}
