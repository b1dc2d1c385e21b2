/**
 * Athena must never see a mismatch. The staging tables in the PACKAGED CloudFormation (osls
 * package, offline) have the columns and types of the staging Parquet files ingest writes, as
 * DuckDB reads them; the Iceberg tables' DDL (run by the plan function) has the columns and types
 * of the compacted files (samples, discrepancy) and of trends_daily as the pipeline writes them
 * locally. Either side changing alone fails this test: tables.ts drives the writers, while the
 * template comes from the checked-in serverless/athena.yml and the DDL from src/query/athena-tables.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleCaptures, DEMO_DAY, gzipBundle } from '../../src/demo/generator.js';
import { rawKey } from '../../src/outputs/layout.js';
import { type TableName } from '../../src/outputs/tables.js';
import { ingestObjects } from '../../src/pipeline/ingest.js';
import { COMPACTED_TABLES, stagingTableName } from '../../src/pipeline/sql-steps.js';
import { icebergCreateSql, ICEBERG_TABLES } from '../../src/query/athena-tables.js';
import { openQueryEngine } from '../../src/query/engine.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { buildTrends } from '../../src/trends/build.js';
import { buildDemoOutput } from './helpers/demo-output.js';

const repo = path.resolve(import.meta.dirname, '..', '..');

/** Glue (Hive) type → the type DuckDB reports for the Parquet column. */
const GLUE_TO_DUCKDB: Record<string, string> = {
  bigint: 'BIGINT',
  string: 'VARCHAR',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  'array<string>': 'VARCHAR[]',
};

interface GlueColumn {
  Name: string;
  Type: string;
}
interface PackagedGlueTable {
  Type: 'AWS::Glue::Table';
  Properties: { TableInput: { Name: string; PartitionKeys: GlueColumn[]; StorageDescriptor: { Columns: GlueColumn[] } } };
}

/**
 * `osls package` on a copy of serverless.yml + serverless/, so the shared `.serverless/` is not
 * touched. scripts/package.mjs needs every Lambda bundle built; the Glue resources do not depend
 * on the code, so stand-in zips take their place here.
 */
function packageTemplate(): Record<string, { Type: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memgap-package-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'memgap-osls-home-'));
  try {
    cpSync(path.join(repo, 'serverless.yml'), path.join(dir, 'serverless.yml'));
    cpSync(path.join(repo, 'serverless'), path.join(dir, 'serverless'), { recursive: true });
    const yml = readFileSync(path.join(dir, 'serverless.yml'), 'utf8');
    mkdirSync(path.join(dir, 'dist', 'lambda'), { recursive: true });
    for (const m of yml.matchAll(/artifact:\s*(\S+\.zip)/g)) {
      const stub = path.join(dir, 'stub.txt');
      writeFileSync(stub, 'placeholder\n');
      execFileSync('zip', ['-q', '-j', path.join(dir, m[1]!), stub]);
    }
    execFileSync(path.join(repo, 'node_modules', '.bin', 'osls'), ['package', '--stage', 'dev'], {
      cwd: dir,
      stdio: 'pipe',
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_ACCESS_KEY_ID: 'AKIAFAKEOFFLINEPACKAGE',
        AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-packaging',
        AWS_REGION: 'eu-west-1',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        CI: '1',
      },
    });
    const template = JSON.parse(readFileSync(path.join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    return template.Resources;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

function firstParquet(dir: string): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name.endsWith('.parquet')) return p;
    if (e.isDirectory()) {
      const f = firstParquet(p);
      if (f) return f;
    }
  }
  return null;
}

let glue: Map<string, PackagedGlueTable>;
let files: Record<TableName, string>;
let staging: Record<string, string>;
let db: DuckDBInstance;

beforeAll(async () => {
  glue = new Map(
    Object.values(packageTemplate())
      .filter((r): r is PackagedGlueTable => r.Type === 'AWS::Glue::Table')
      .map((r) => [r.Properties.TableInput.Name, r]),
  );
  const out = await buildDemoOutput();
  // trends_daily as the daily step writes it locally (the same SELECT Athena MERGEs).
  const engine = await openQueryEngine(out);
  try {
    await buildTrends(engine, new FsObjectStore(out), DEMO_DAY, 'demo');
  } finally {
    await engine.close();
  }
  files = {
    samples: firstParquet(path.join(out, 'samples'))!,
    discrepancy: firstParquet(path.join(out, 'discrepancy'))!,
    trends_daily: firstParquet(path.join(out, 'trends_daily'))!,
  };
  // Staging as ingest leaves it before any compaction.
  const root = mkdtempSync(path.join(os.tmpdir(), 'memgap-parity-staging-'));
  const raw = new FsObjectStore(path.join(root, 'raw'));
  const keys: string[] = [];
  for (const b of articleCaptures()) {
    const key = rawKey(b.cluster, b.node, new Date(b.capturedAt));
    await raw.put(key, gzipBundle(b));
    keys.push(key);
  }
  await ingestObjects(raw, keys, new FsObjectStore(path.join(root, 'out')));
  staging = Object.fromEntries(COMPACTED_TABLES.map((t) => [stagingTableName(t), firstParquet(path.join(root, 'out', 'staging', t))!]));
  db = await DuckDBInstance.create(':memory:');
}, 120_000);

afterAll(() => db?.closeSync());

async function describeParquet(file: string): Promise<[string, string][]> {
  const conn = await db.connect();
  try {
    // hive_partitioning off: the file's own columns only, exactly what Athena's SerDe reads.
    const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file.replace(/'/g, "''")}', hive_partitioning = false)`);
    return reader.getRowObjectsJS().map((r) => [String(r.column_name), String(r.column_type)]);
  } finally {
    conn.closeSync();
  }
}

describe('Glue staging tables in the packaged template ⇔ staging Parquet written by ingest', () => {
  it('the packaged template has exactly the two staging tables (the compacted tables are Iceberg, made by DDL)', () => {
    expect([...glue.keys()].sort()).toEqual(COMPACTED_TABLES.map(stagingTableName).sort());
  });

  for (const table of COMPACTED_TABLES.map(stagingTableName)) {
    it(`${table}: the file's columns in order, types mapped Glue ↔ Parquet; cluster only as a partition key`, async () => {
      const cols = glue.get(table)!.Properties.TableInput.StorageDescriptor.Columns;
      for (const c of cols) expect(GLUE_TO_DUCKDB, `Glue type ${c.Type} of ${table}.${c.Name}`).toHaveProperty([c.Type]);
      const inFile = await describeParquet(staging[table]!);
      // The file also holds cluster (the same value as the path); Glue forbids a column named like a partition key.
      expect(inFile.filter(([n]) => n !== 'cluster')).toEqual(cols.map((c): [string, string] => [c.Name, GLUE_TO_DUCKDB[c.Type]!]));
      expect(glue.get(table)!.Properties.TableInput.PartitionKeys.map((k) => [k.Name, k.Type])).toEqual([
        ['arrival', 'string'],
        ['cluster', 'string'],
      ]);
    });
  }
});

describe('Iceberg DDL ⇔ the compacted Parquet the pipeline writes', () => {
  for (const table of ICEBERG_TABLES) {
    it(`${table}: DDL columns (dt, cluster aside) = the file's columns in order, types mapped`, async () => {
      const ddl = icebergCreateSql(table, 's3://b/iceberg/t/');
      const cols = [...ddl.matchAll(/^ {2}(\w+) (\S+) COMMENT /gm)].map((m) => [m[1]!, m[2]!] as const);
      expect(cols.slice(-2)).toEqual([
        ['dt', 'string'],
        ['cluster', 'string'],
      ]);
      for (const [n, t] of cols) expect(GLUE_TO_DUCKDB, `type ${t} of ${table}.${n}`).toHaveProperty([t]);
      expect(await describeParquet(files[table])).toEqual(cols.slice(0, -2).map(([n, t]): [string, string] => [n, GLUE_TO_DUCKDB[t]!]));
    });
  }
});
