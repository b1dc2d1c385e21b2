/**
 * The AWS daily step end to end, without AWS: buildDay with the real @aws-sdk/client-athena
 * against the Athena stand-in (Iceberg tables as DuckDB tables, the SQL translated as in local
 * mode) and the report files written to s3rver. The same day built locally (DuckDB on the folder)
 * must give the same trends_daily rows and the same report: one SQL source, two engines.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactedKey, dailyReportPrefix } from '../../src/outputs/layout.js';
import { TABLES, type TableName } from '../../src/outputs/tables.js';
import { openAthenaEngine, type AthenaQueryEngine } from '../../src/query/athena.js';
import { icebergCreateSql, icebergLocation } from '../../src/query/athena-tables.js';
import { openQueryEngine, type QueryEngine } from '../../src/query/engine.js';
import { dayTrends } from './helpers/day-trends.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { S3ObjectStore } from '../../src/store/s3-store.js';
import { buildDay, type BuiltDay } from '../../src/trends/build.js';
import { startAthenaStandin, type AthenaStandin } from './helpers/athena-standin.js';
import { buildDemoOutput } from './helpers/demo-output.js';
import { startS3rver, type S3rverHandle } from './helpers/s3rver.js';

const DT = '2026-11-26';
const BUCKET = 'data';
let s3: S3rverHandle;
let athena: AthenaStandin;
let engine: AthenaQueryEngine;
let local: QueryEngine;
let localDir: string;
let aws: BuiltDay;
let onDisk: BuiltDay;
const out = () => new S3ObjectStore({ bucket: BUCKET, prefix: '', client: s3.client });

beforeAll(async () => {
  localDir = await buildDemoOutput();
  s3 = await startS3rver({ buckets: [BUCKET] });
  athena = await startAthenaStandin({ s3Directory: s3.directory, bucket: BUCKET });
  engine = openAthenaEngine({ workGroup: athena.workGroup, database: athena.database, clientConfig: athena.clientConfig, poll: { initialMs: 5, maxMs: 20 } });
  for (const t of Object.keys(TABLES) as TableName[]) await engine.execute(icebergCreateSql(t, icebergLocation(BUCKET, '', t)));
  // The compacted discrepancy rows of the demo day, as the compact step's MERGE would have left them.
  const file = path.join(localDir, ...compactedKey('discrepancy', DT, 'demo').split('/'));
  await athena.duck(`INSERT INTO discrepancy BY NAME SELECT *, '${DT}' AS dt, 'demo' AS cluster FROM read_parquet('${file}', hive_partitioning = false)`);
  aws = await buildDay(engine, out(), DT, 'demo');
  local = await openQueryEngine(localDir);
  onDisk = await buildDay(local, new FsObjectStore(localDir), DT, 'demo');
}, 180_000);

afterAll(async () => {
  await local?.close();
  await engine?.close();
  await athena?.close();
  await s3?.close();
});

describe('the daily step on Athena (stand-in) and on DuckDB', () => {
  it('MERGEs trends_daily into the Iceberg table: the same rows as the local file, every column', async () => {
    expect(aws.key).toBeNull();
    expect(aws.rows).toBe(onDisk.rows);
    const viaAthena = await dayTrends(engine, DT, 'demo');
    const viaDuck = await dayTrends(local, DT, 'demo');
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ dt: _dt, cluster: _c, ...r }) => r);
    expect(strip(viaAthena as never)).toEqual(strip(viaDuck as never));
    expect(viaAthena.filter((r) => r.leak_suspect && r.level === 'container').map((r) => `${r.pod}:${r.leak_memory}`).sort()).toEqual(['orders-api-6f5d4-k8j2m:rss', 'report-builder-7d9f8:shmem']);
  });

  it('re-running the day on Athena updates the rows in place (no second copy)', async () => {
    await buildDay(engine, out(), DT, 'demo');
    const [n] = await athena.duck(`SELECT count(*) AS n FROM trends_daily WHERE dt = '${DT}' AND cluster = 'demo'`);
    expect(Number(n!.n)).toBe(onDisk.rows);
  });

  it('writes the same report to S3 as to the folder', async () => {
    const prefix = dailyReportPrefix(DT, 'demo');
    expect(aws.reportKeys).toEqual(onDisk.reportKeys);
    const s3Json = JSON.parse((await out().getBytes(`${prefix}summary.json`)).toString());
    const fsJson = JSON.parse((await new FsObjectStore(localDir).getBytes(`${prefix}summary.json`)).toString());
    expect(s3Json).toEqual(fsJson);
    expect(s3Json.totals.leakSuspects).toBe(2);
    expect(s3Json.oomKills.map((o: { pod: string; at: string[] }) => [o.pod, o.at])).toEqual([['etl-nightly-28f7x', [`${DT}T14:00:14.000Z`]]]);
    expect((await out().getBytes(`${prefix}index.html`)).toString()).toBe((await new FsObjectStore(localDir).getBytes(`${prefix}index.html`)).toString());
  });

  it('the statements Athena ran are the shipped Trino SQL (the stand-in refuses DuckDB-only SQL)', () => {
    const ran = athena.executions.map((e) => e.sql);
    expect(ran.some((s) => s.startsWith('MERGE INTO trends_daily'))).toBe(true);
    expect(athena.executions.filter((e) => e.state === 'FAILED')).toEqual([]);
  });
});
