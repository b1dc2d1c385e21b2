/** `npm run bench`, trends section (BENCH_PODS / BENCH_SAMPLES for a quicker run). */
import { benchTrends } from '../src/trends/bench.js';

const pods = Number(process.env.BENCH_PODS ?? 10_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 2_880);
const r = await benchTrends({ pods, samples });
console.log(`== trends: daily trends for ${pods} pods × ${samples} samples (${r.rows} rows of synthetic Parquet) ==`);
console.log(`memgap ${(r.wallMs / 1000).toFixed(1)} s (target ≤ 60 s), peak RSS ${r.peakRssMiB.toFixed(0)} MiB (target ≤ 1024), start ${r.startRssMiB.toFixed(0)} MiB`);
console.log(`DuckDB (SET threads=1, same aggregates, same files) ${(r.duckdbMs / 1000).toFixed(1)} s`);
console.log(`ratio ${r.ratio.toFixed(2)}× DuckDB (target ≤ 3×); series differing from DuckDB: ${r.mismatches}`);
