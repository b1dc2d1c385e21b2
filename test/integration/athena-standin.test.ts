/**
 * src/query/athena.ts through the REAL @aws-sdk/client-athena, over HTTP, against the Athena
 * stand-in (test/integration/helpers/athena-standin.ts), which reads staging Parquet from s3rver's
 * storage folder. Checks the protocol (paging, header row, typed values, failure states, polling,
 * timeouts) and the stand-in's own rules (Iceberg-only MERGE/OPTIMIZE, bytes scanned).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaQueryError, athenaBilledBytes, openAthenaEngine, type AthenaEngineOptions } from '../../src/query/athena.js';
import { startAthenaStandin, type AthenaStandin, type HiveTable } from './helpers/athena-standin.js';
import { startS3rver, type S3rverHandle } from './helpers/s3rver.js';

const BUCKET = 'data';
const EVENTS: HiveTable = {
  name: 'events_staging',
  keyPrefix: 'staging/events/',
  columns: [
    { name: 'captured_at', type: 'timestamp' },
    { name: 'node', type: 'string' },
    { name: 'v', type: 'bigint' },
    { name: 'ratio', type: 'double' },
    { name: 'ok', type: 'boolean' },
    { name: 'flags', type: 'array<string>' },
    { name: 'dt', type: 'string' },
    { name: 'batch_id', type: 'string' },
  ],
  partitionKeys: ['arrival', 'cluster'],
  injected: ['cluster'],
};

let s3: S3rverHandle;
let athena: AthenaStandin;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-standin-test-'));
const keys: string[] = [];

/** Writes one staging Parquet file with DuckDB and uploads it through the S3 API. */
async function stage(arrival: string, cluster: string, batch: string, rows: string) {
  const file = path.join(tmp, `${batch}.parquet`);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  await c.run(
    `COPY (SELECT CAST(t AS TIMESTAMPTZ) AS captured_at, node, CAST(v AS BIGINT) AS v, CAST(r AS DOUBLE) AS ratio, ok, flags, dt, '${cluster}' AS cluster, '${batch}' AS batch_id FROM (VALUES ${rows}) AS x(t, node, v, r, ok, flags, dt)) TO '${file}' (FORMAT parquet)`,
  );
  c.closeSync();
  db.closeSync();
  const key = `staging/events/arrival=${arrival}/cluster=${cluster}/${batch}.parquet`;
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: readFileSync(file) }));
  keys.push(key);
}

const engine = (extra: Partial<AthenaEngineOptions> = {}) =>
  openAthenaEngine({ workGroup: athena.workGroup, database: athena.database, clientConfig: athena.clientConfig, poll: { initialMs: 5, maxMs: 20 }, ...extra });

beforeAll(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  athena = await startAthenaStandin({ s3Directory: s3.directory, bucket: BUCKET, hiveTables: [EVENTS] });
  await stage(
    '2026-11-30T05',
    'c1',
    'b1',
    `('2026-11-30 04:59:00', 'n1', 9007199254740993, 0.25, true, ['near-limit', 'no-limit'], '2026-11-30'),
     ('2026-11-30 05:00:00', 'n1', 2, 1.5, false, [], '2026-11-30'),
     ('2026-11-30 05:01:00', 'n2', NULL, NULL, NULL, NULL, '2026-11-30')`,
  );
  // Same capture as b1's first row, in a later batch: dedupe keeps the greatest batch_id.
  await stage('2026-11-30T05', 'c1', 'b2', `('2026-11-30 04:59:00', 'n1', 7, 0.5, true, ['near-limit'], '2026-11-30')`);
  await stage('2026-11-30T06', 'c2', 'b3', `('2026-11-30 06:00:00', 'n9', 5, 2.0, true, [], '2026-11-30')`);
}, 60_000);
afterAll(async () => {
  await athena?.close();
  await s3?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('SELECT through the real client', () => {
  it('pages GetQueryResults with NextToken, drops the header row, and types every value', async () => {
    const e = engine({ pageSize: 2 });
    const pagesBefore = athena.requests.GetQueryResults ?? 0;
    const r = await e.query(`SELECT node, v, ratio, ok, flags, captured_at FROM events_staging WHERE cluster = 'c1' ORDER BY batch_id, captured_at`);
    expect(r.columns).toEqual([
      { name: 'node', type: 'VARCHAR' },
      { name: 'v', type: 'BIGINT' },
      { name: 'ratio', type: 'DOUBLE' },
      { name: 'ok', type: 'BOOLEAN' },
      { name: 'flags', type: 'ARRAY' },
      { name: 'captured_at', type: 'TIMESTAMP' },
    ]);
    expect(r.rows).toEqual([
      { node: 'n1', v: 9007199254740993n, ratio: 0.25, ok: true, flags: ['near-limit', 'no-limit'], captured_at: new Date('2026-11-30T04:59:00Z') },
      { node: 'n1', v: 2n, ratio: 1.5, ok: false, flags: [], captured_at: new Date('2026-11-30T05:00:00Z') },
      { node: 'n2', v: null, ratio: null, ok: null, flags: null, captured_at: new Date('2026-11-30T05:01:00Z') },
      { node: 'n1', v: 7n, ratio: 0.5, ok: true, flags: ['near-limit'], captured_at: new Date('2026-11-30T04:59:00Z') },
    ]);
    // header + 4 rows at 2 a page = 3 GetQueryResults calls.
    expect(athena.requests.GetQueryResults! - pagesBefore).toBe(3);
    await e.close();
  });

  it('counts the query and its bytes: the compressed chunks of the named columns in the selected partitions', async () => {
    const before = athena.stats();
    const e = engine();
    const r = await e.query(`SELECT count(*) AS n, max(v) AS top FROM events_staging WHERE cluster = 'c1' AND arrival = '2026-11-30T05'`);
    expect(r.rows).toEqual([{ n: 4n, top: 9007199254740993n }]);
    // Expected: read the two c1 files' metadata independently and add the `v` chunks.
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const files = keys.filter((k) => k.includes('cluster=c1/')).map((k) => `'${path.join(s3.directory, BUCKET, k)}._S3rver_object'`);
    const meta = await c.runAndReadAll(`SELECT sum(total_compressed_size) AS b FROM parquet_metadata([${files.join(', ')}]) WHERE path_in_schema = 'v'`);
    const expected = Number(meta.getRowObjectsJS()[0]!.b);
    c.closeSync();
    db.closeSync();
    expect(expected).toBeGreaterThan(0);
    expect(r.stats.dataScannedInBytes).toBe(expected);
    expect(e.stats()).toEqual({ queries: 1, failed: 0, dataScannedInBytes: expected, billedBytes: 10_000_000, engineExecutionTimeInMillis: r.stats.engineExecutionTimeInMillis });
    expect(athena.stats().queries).toBe(before.queries + 1);
    expect(athena.stats().bytesScanned).toBe(before.bytesScanned + expected);
    await e.close();
  });

  it("answers as Trino where DuckDB would not: NULL through greatest/least/concat, integer division, max_by's NULL", async () => {
    const e = engine();
    const r = await e.query(`SELECT greatest(1, NULL) AS g, least(2, 1, NULL) AS l, greatest(3, 4) AS g2, concat('a', NULL) AS c, concat('a', 'b') AS c2, 5 / 2 AS d, 5 / 2e0 AS f, max_by(x, y) AS mb FROM (VALUES (NULL, 1), (2, 0)) AS t(x, y)`);
    expect(r.rows).toEqual([{ g: null, l: null, g2: 4, c: null, c2: 'ab', d: 2, f: 2.5, mb: null }]);
    await e.close();
  });

  it('polls GetQueryExecution with a growing, capped backoff while the query runs', async () => {
    const waits: number[] = [];
    const slow = await startAthenaStandin({ s3Directory: s3.directory, bucket: BUCKET, hiveTables: [EVENTS], runningPolls: 6 });
    try {
      const e = openAthenaEngine({ workGroup: slow.workGroup, database: slow.database, clientConfig: slow.clientConfig, poll: { initialMs: 100, factor: 2, maxMs: 500 }, sleep: async (ms) => {
          waits.push(ms);
          await new Promise((r) => setTimeout(r, 2));
        } });
      const r = await e.query('SELECT 1 AS one');
      expect(r.rows).toEqual([{ one: 1 }]);
      // Six polls answered RUNNING, then as long as DuckDB takes: never above the cap.
      expect(waits.slice(0, 6)).toEqual([100, 200, 400, 500, 500, 500]);
      expect(waits.slice(6).every((w) => w === 500)).toBe(true);
      await e.close();
    } finally {
      await slow.close();
    }
  });
});

describe('failure states', () => {
  it('FAILED carries Athena\'s StateChangeReason: syntax, missing table, missing column', async () => {
    const e = engine();
    const reasonOf = async (sql: string) => {
      const err = await e.query(sql).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(AthenaQueryError);
      expect((err as AthenaQueryError).state).toBe('FAILED');
      return (err as AthenaQueryError).reason;
    };
    expect(await reasonOf('SELEC 1')).toMatch(/^SYNTAX_ERROR: /);
    expect(await reasonOf('SELECT * FROM nosuch')).toBe(`TABLE_NOT_FOUND: Table 'awsdatacatalog.${athena.database}.nosuch' does not exist`);
    expect(await reasonOf(`SELECT nosuch FROM events_staging WHERE cluster = 'c1'`)).toBe(`COLUMN_NOT_FOUND: Column 'nosuch' cannot be resolved`);
    // Injected partition projection: a staging query must pin the cluster with a literal equality.
    expect(await reasonOf(`SELECT count(*) FROM events_staging WHERE cluster LIKE 'c%'`)).toMatch(/^CONSTRAINT_VIOLATION: For the injected projected partition column cluster of events_staging/);
    expect(e.stats().failed).toBe(4);
    expect(e.stats().billedBytes).toBe(0);
    await e.close();
  });

  it('rejects DuckDB-only functions as Athena would, although DuckDB could run them', async () => {
    const err = (await engine().query('SELECT approx_quantile(v, 0.5) FROM events_staging').catch((x: unknown) => x)) as AthenaQueryError;
    expect(err.reason).toMatch(/^FUNCTION_NOT_FOUND: DuckDB-only function approx_quantile\(\) \(Trino: approx_percentile\)/);
  });

  it('an injected retryable failure (an Iceberg commit race) is marked retryable', async () => {
    athena.inject({ match: /SELECT 42/, reason: 'ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table', retryable: true });
    const err = (await engine({ retries: 0 }).query('SELECT 42 AS x').catch((x: unknown) => x)) as AthenaQueryError;
    expect(err.retryable).toBe(true);
    expect(err.athenaError).toEqual({ category: 2, type: 1006, retryable: true });
    expect((await engine().query('SELECT 42 AS x')).rows).toEqual([{ x: 42 }]);
  });

  it('runs a statement again after a retryable failure, waiting 1 s, 2 s…; a non-retryable one fails at once', async () => {
    const waits: number[] = [];
    const e = engine({ sleep: async (ms) => void waits.push(ms), poll: { initialMs: 1, maxMs: 1 } });
    athena.inject({ match: /SELECT 43/, reason: 'ICEBERG_COMMIT_ERROR: conflicting commit', retryable: true, times: 2 });
    expect((await e.query('SELECT 43 AS x')).rows).toEqual([{ x: 43 }]);
    expect(waits.filter((w) => w >= 1000)).toEqual([1000, 2000]);
    expect(e.stats()).toMatchObject({ queries: 3, failed: 2 });
    athena.inject({ match: /SELECT 44/, reason: 'ICEBERG_COMMIT_ERROR: conflicting commit', retryable: true, times: 5 });
    await expect(e.query('SELECT 44 AS x')).rejects.toMatchObject({ state: 'FAILED' });
    expect(waits.filter((w) => w >= 1000)).toEqual([1000, 2000, 1000, 2000, 4000]);
    await expect(e.query('SELEC 45')).rejects.toMatchObject({ reason: expect.stringMatching(/^SYNTAX_ERROR/) });
    expect(waits.filter((w) => w >= 1000)).toHaveLength(5);
    await e.close();
  });

  it('a query still running at the deadline is stopped: StopQueryExecution → CANCELLED, TIMED_OUT error', async () => {
    const slow = await startAthenaStandin({ s3Directory: s3.directory, bucket: BUCKET, runningPolls: 1_000 });
    try {
      const e = openAthenaEngine({ workGroup: slow.workGroup, database: slow.database, clientConfig: slow.clientConfig, poll: { initialMs: 5, maxMs: 5 }, timeoutMs: 50 });
      const err = (await e.query('SELECT 1').catch((x: unknown) => x)) as AthenaQueryError;
      expect(err.state).toBe('TIMED_OUT');
      expect(slow.executions[0]!.stopRequested).toBe(true);
      // DuckDB had finished (the stand-in only pretended it was running): stopping a finished query changes nothing.
      expect(slow.executions[0]!.state).toBe('SUCCEEDED');
      await e.close();
    } finally {
      await slow.close();
    }
  });

  it('an unknown workgroup is an InvalidRequestException from StartQueryExecution; a wrong database fails the query', async () => {
    await expect(engine({ workGroup: 'other' }).query('SELECT 1')).rejects.toMatchObject({ name: 'InvalidRequestException', message: 'WorkGroup other is not found.' });
    await expect(engine({ database: 'elsewhere' }).query('SELECT 1')).rejects.toMatchObject({ reason: "SCHEMA_NOT_FOUND: Schema 'elsewhere' does not exist" });
  });
});

describe('Iceberg tables in the stand-in', () => {
  const DDL = `CREATE TABLE IF NOT EXISTS events (captured_at timestamp, node string, v bigint, flags array<string>, dt string, cluster string)
PARTITIONED BY (dt, cluster)
LOCATION 's3://${BUCKET}/events/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')`;
  const MERGE = (arrival: string, cluster: string) => `MERGE INTO events AS t
USING (
  SELECT captured_at, node, v, flags, dt, cluster FROM (
    SELECT s.*, max(s.batch_id) OVER (PARTITION BY s.cluster, s.node, s.captured_at) AS kept FROM events_staging AS s
    WHERE s.arrival = '${arrival}' AND s.cluster = '${cluster}'
  ) AS r WHERE r.batch_id = r.kept
) AS s
ON t.dt = s.dt AND t.cluster = s.cluster AND t.node = s.node AND t.captured_at = s.captured_at
WHEN NOT MATCHED THEN INSERT (captured_at, node, v, flags, dt, cluster) VALUES (s.captured_at, s.node, s.v, s.flags, s.dt, s.cluster)`;

  it('CREATE TABLE … ICEBERG is DDL (not billed), idempotent with IF NOT EXISTS', async () => {
    const e = engine();
    expect((await e.execute(DDL)).statementType).toBe('DDL');
    await e.execute(DDL);
    expect(e.stats().billedBytes).toBe(0);
    await e.close();
  });

  it('MERGE adds each capture once; re-running the step adds nothing (UpdateCount 3, then 0)', async () => {
    const e = engine();
    expect((await e.execute(MERGE('2026-11-30T05', 'c1'))).updateCount).toBe(3);
    expect((await e.execute(MERGE('2026-11-30T05', 'c1'))).updateCount).toBe(0);
    const r = await e.query(`SELECT node, captured_at, v FROM events WHERE cluster = 'c1' ORDER BY captured_at`);
    expect(r.rows).toEqual([
      { node: 'n1', captured_at: new Date('2026-11-30T04:59:00Z'), v: 7n }, // batch b2 > b1
      { node: 'n1', captured_at: new Date('2026-11-30T05:00:00Z'), v: 2n },
      { node: 'n2', captured_at: new Date('2026-11-30T05:01:00Z'), v: null },
    ]);
    await e.close();
  });

  it('the MERGE reads the staging partition it names, and only the target partitions its source holds (dynamic filtering)', async () => {
    const x = athena.executions.filter((q) => q.substatementType === 'MERGE').at(-1)!;
    const byTable = Object.fromEntries(x.scanned.map((s) => [s.table, s.files]));
    expect(byTable).toEqual({ events_staging: 2, events: 1 }); // c1's two staging files; events' one c1 partition file
    // Another day and another cluster in the target: the hour's MERGE still reads one target partition.
    const e = engine();
    await e.execute(`INSERT INTO events (captured_at, node, v, flags, dt, cluster) VALUES (TIMESTAMP '2026-11-29 10:00:00', 'n1', 1, ARRAY['x'], '2026-11-29', 'c1'), (TIMESTAMP '2026-11-30 10:00:00', 'n1', 1, ARRAY['x'], '2026-11-30', 'c9')`);
    await e.execute(MERGE('2026-11-30T05', 'c1'));
    const again = athena.executions.filter((q) => q.substatementType === 'MERGE').at(-1)!;
    expect(Object.fromEntries(again.scanned.map((s) => [s.table, s.files]))).toEqual({ events_staging: 2, events: 1 });
    await e.execute(`DELETE FROM events WHERE dt = '2026-11-29' OR cluster = 'c9'`);
    await e.close();
  });

  it("writes the table's partitions in its write_compression: ZSTD when not named (Athena engine 3's default), as declared otherwise, and refuses codecs Athena cannot write to Iceberg Parquet", async () => {
    const codecs = async (table: string) =>
      (await athena.duck(`SELECT DISTINCT compression FROM parquet_metadata('${path.join(athena.icebergDir, table)}/**/*.parquet') ORDER BY ALL`)).map((r) => r.compression);
    expect(await codecs('events')).toEqual(['ZSTD']); // DDL above names none
    const e = engine();
    await e.execute(DDL.replace(/\bevents\b/, 'events_snappy').replace("'format' = 'parquet'", "'format' = 'parquet', 'write_compression' = 'snappy'"));
    await e.execute(`INSERT INTO events_snappy (captured_at, node, v, flags, dt, cluster) VALUES (TIMESTAMP '2026-11-30 10:00:00', 'n1', 1, ARRAY['x'], '2026-11-30', 'c1')`);
    expect(await codecs('events_snappy')).toEqual(['SNAPPY']);
    await expect(e.execute(DDL.replace(/\bevents\b/, 'events_lz4').replace("'format' = 'parquet'", "'format' = 'parquet', 'write_compression' = 'LZ4'"))).rejects.toMatchObject({
      reason: expect.stringMatching(/^INVALID_TABLE_PROPERTY: write_compression LZ4/),
    });
    await e.execute('DROP TABLE events_snappy');
    await e.close();
  });

  it('OPTIMIZE and VACUUM run on Iceberg tables only; OPTIMIZE … WHERE takes partition columns only', async () => {
    const e = engine();
    await e.execute(`OPTIMIZE events REWRITE DATA USING BIN_PACK WHERE dt = '2026-11-30' AND cluster = 'c1'`);
    await e.execute('VACUUM events');
    await expect(e.execute(`OPTIMIZE events REWRITE DATA USING BIN_PACK WHERE node = 'n1'`)).rejects.toMatchObject({ reason: expect.stringMatching(/^INVALID_ARGUMENTS: OPTIMIZE: only partition columns/) });
    await expect(e.execute(`OPTIMIZE events_staging REWRITE DATA USING BIN_PACK WHERE cluster = 'c1'`)).rejects.toMatchObject({ reason: expect.stringMatching(/^NOT_SUPPORTED: OPTIMIZE is supported only for Iceberg tables/) });
    await expect(e.execute(`MERGE INTO events_staging AS t USING events AS s ON t.node = s.node AND t.cluster = 'c1' WHEN NOT MATCHED THEN INSERT (node) VALUES (s.node)`)).rejects.toMatchObject({
      reason: expect.stringMatching(/^NOT_SUPPORTED: Modifying Hive table rows/),
    });
    await e.close();
  });
});

describe('athenaBilledBytes (Athena pricing: rounded up to the MB, 10 MB minimum, DDL and failures free)', () => {
  it.each([
    [0, 'DML', 'SUCCEEDED', 10_000_000],
    [10_000_001, 'DML', 'SUCCEEDED', 11_000_000],
    [123_456_789, 'DML', 'SUCCEEDED', 124_000_000],
    [5_000_000, 'DDL', 'SUCCEEDED', 0],
    [5_000_000, 'DML', 'FAILED', 0],
    [5_000_000, 'DML', 'CANCELLED', 10_000_000],
  ])('%i bytes, %s, %s → %i', (bytes, type, state, billed) => {
    expect(athenaBilledBytes(bytes, type, state)).toBe(billed);
  });
});
