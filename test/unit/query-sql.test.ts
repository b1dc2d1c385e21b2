import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARAM_CHECKS, validateParams } from '../../src/cli/query.js';
import { UsageError } from '../../src/errors.js';
import { openQueryEngine, sqlUsageError, tablesReferenced, type QueryEngine } from '../../src/query/engine.js';
import { bindParams, loadNamedQueries, parseNamedQuery, placeholdersOf, sqlLiteral } from '../../src/query/named.js';
import { trinoToDuckDb } from '../../src/query/translate.js';

describe(':name parameters', () => {
  it('are found in code only, not in strings, comments or :: casts', () => {
    const sql = "-- param day: x\nSELECT '12:00' AS t, x::BIGINT, \"a:b\" FROM t /* :no */ WHERE dt = :day AND c = :cluster AND d = :day";
    expect(placeholdersOf(sql)).toEqual(['day', 'cluster']);
  });

  it('bind as literals: numbers bare, everything else quoted with doubled quotes', () => {
    expect(sqlLiteral('90')).toBe('90');
    expect(sqlLiteral('-1.5')).toBe('-1.5');
    expect(sqlLiteral('2026-11-26')).toBe("'2026-11-26'");
    expect(sqlLiteral("o'brien")).toBe("'o''brien'");
    expect(bindParams("SELECT ':day' FROM t WHERE dt = :day AND p >= :pct", { day: '2026-11-26', pct: '90' })).toBe("SELECT ':day' FROM t WHERE dt = '2026-11-26' AND p >= 90");
  });

  it('a quote in a value cannot end the literal (no injection)', () => {
    expect(bindParams('SELECT * FROM t WHERE pod = :pod', { pod: "x' OR '1'='1" })).toBe("SELECT * FROM t WHERE pod = 'x'' OR ''1''=''1'");
  });

  it('missing and unknown parameters are usage errors', () => {
    expect(() => bindParams('SELECT :a, :b', { a: '1' })).toThrow(UsageError);
    expect(() => bindParams('SELECT :a', { a: '1', c: '2' })).toThrow(/unknown parameter/);
  });

  it('a named query must declare every parameter it uses, and use every one it declares', () => {
    expect(() => parseNamedQuery('x.sql', '-- name: x\nSELECT :day')).toThrow(/:day is used but not declared/);
    expect(() => parseNamedQuery('x.sql', '-- name: x\n-- param day: d\n-- param pod: p\nSELECT :day')).toThrow(/param pod is declared but never used/);
    expect(parseNamedQuery('x.sql', '-- name: x\n-- description: d\n-- param day: the day\nSELECT :day\n')).toMatchObject({ name: 'x', description: 'd', params: [{ name: 'day', description: 'the day' }] });
  });
});

describe('Trino → DuckDB translation', () => {
  it('renames to_unixtime to epoch in code, not in strings', () => {
    expect(trinoToDuckDb("SELECT to_unixtime(captured_at), 'to_unixtime(x)' FROM t")).toBe("SELECT epoch(captured_at), 'to_unixtime(x)' FROM t");
  });

  it('epoch() gives what Trino documents for to_unixtime: seconds since 1970-01-01 UTC, as a double', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run("SET TimeZone = 'Asia/Tokyo'"); // must not matter for an instant
      const r = await conn.runAndReadAll(trinoToDuckDb("SELECT to_unixtime(TIMESTAMPTZ '2026-11-26 14:00:14.5+00') AS s"));
      // 2026-11-26 = day 20783 since the epoch: 20783·86400 + 14·3600 + 14.5
      expect(r.getRowObjectsJS()[0]!.s).toBe(20783 * 86400 + 14 * 3600 + 14.5);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

describe('tablesReferenced (what an s3:// query must download)', () => {
  it('whole-word table names outside strings and comments', () => {
    expect(tablesReferenced("SELECT * FROM discrepancy d JOIN samples s ON true WHERE x = 'trends_daily' -- trends_daily")).toEqual(['samples', 'discrepancy']);
    expect(tablesReferenced('SELECT * FROM trends_daily_backup')).toEqual([]);
  });

  it("an apostrophe in a comment does not hide the FROM clause (every shipped query reads discrepancy)", () => {
    expect(tablesReferenced("-- Athena's rule\nSELECT * FROM samples WHERE level = 'pod'")).toEqual(['samples']);
    for (const q of loadNamedQueries()) expect(tablesReferenced(q.sql), q.name).toEqual(['discrepancy']);
  });
});

describe('--param values are checked by type before binding', () => {
  it('every parameter of every shipped named query has a check', () => {
    for (const q of loadNamedQueries()) for (const p of q.params) expect(PARAM_CHECKS[p.name], `${q.name}: ${p.name}`).toBeDefined();
  });

  it('day is a real calendar date, YYYY-MM-DD', () => {
    expect(() => validateParams({ day: '2026-11-26' })).not.toThrow();
    expect(() => validateParams({ day: '2024-02-29' })).not.toThrow();
    for (const bad of ['2026-02-29', '2026-13-01', '2026-11-26T00:00:00Z', '26-11-2026', 'yesterday', "2026-11-26' OR '1'='1"]) expect(() => validateParams({ day: bad }), bad).toThrow(UsageError);
  });

  it('cluster, namespace and pod are names; thresholds are numbers', () => {
    expect(() => validateParams({ cluster: 'prod-eu.1', namespace: 'kube-system', pod: 'orders-api-6f5d4-k8j2m', threshold_pct: '90', min_mib_per_hour: '0.5' })).not.toThrow();
    expect(() => validateParams({ cluster: 'a b' })).toThrow(/--param cluster="a b": expected a cluster name/);
    expect(() => validateParams({ namespace: 'Kube_System' })).toThrow(UsageError);
    expect(() => validateParams({ pod: '../x' })).toThrow(UsageError);
    expect(() => validateParams({ threshold_pct: '90%' })).toThrow(/expected a number/);
  });

  it('a parameter with no declared type (ad-hoc SQL) is bound as a quoted literal', () => {
    expect(() => validateParams({ anything: "x' OR 1=1 --" })).not.toThrow();
  });
});

describe('read-only query engine', () => {
  let root: string;
  let engine: QueryEngine;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'memgap-ro-'));
    const part = path.join(root, 'discrepancy', 'dt=2026-11-26', 'cluster=c1');
    await mkdir(part, { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT 'default' AS namespace, 'busybox' AS pod, 105857024::BIGINT AS gap_bytes) TO '${path.join(part, 'data.parquet')}' (FORMAT parquet)`);
    await conn.run(`COPY (SELECT 1 AS secret) TO '${path.join(path.dirname(root), path.basename(root) + '-outside.parquet')}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    engine = await openQueryEngine(root, { readOnly: true });
  });
  afterAll(async () => {
    await engine?.close();
    await rm(root, { recursive: true, force: true });
    await rm(`${root}-outside.parquet`, { force: true });
  });

  it('reads the tables, with WITH, and files inside the output', async () => {
    expect((await engine.query("WITH d AS (SELECT * FROM discrepancy) SELECT pod, gap_bytes FROM d WHERE dt = '2026-11-26'")).rows).toEqual([{ pod: 'busybox', gap_bytes: 105857024n }]);
    expect((await engine.query(`SELECT count(*) AS n FROM read_parquet('${root}/discrepancy/*/*/*.parquet')`)).rows).toEqual([{ n: 1n }]);
  });

  it.each([
    ['a Parquet file outside the output', () => `SELECT * FROM read_parquet('${root}-outside.parquet')`],
    ['glob of another folder', () => "SELECT * FROM glob('/etc/*')"],
    ['read_json of an arbitrary path', () => "SELECT * FROM read_json('/etc/os-release')"],
    ['read_blob', () => "SELECT * FROM read_blob('/etc/hostname')"],
    ['EXPORT DATABASE', () => `EXPORT DATABASE '${root}/export'`],
    ['a COPY hidden after a SELECT', () => `SELECT 1; COPY (SELECT 1) TO '${root}/x.csv'`],
    ['CALL', () => 'CALL pragma_version()'],
    ['unlocking the configuration', () => 'SET lock_configuration = false'],
    ['RESET', () => 'RESET enable_external_access'],
    ['re-enabling external access', () => 'SET enable_external_access = true'],
    ['CREATE OR REPLACE VIEW over a table', () => "CREATE OR REPLACE VIEW discrepancy AS SELECT * FROM read_csv('/etc/passwd')"],
    ['DROP VIEW', () => 'DROP VIEW discrepancy'],
    ['DETACH', () => 'DETACH memory'],
  ])('refuses %s', async (_label, sql) => {
    await expect(engine.query(sql())).rejects.toThrow(UsageError);
    expect(existsSync(path.join(root, 'x.csv'))).toBe(false);
    expect(existsSync(path.join(root, 'export'))).toBe(false);
    // and the tables are still there afterwards
    expect((await engine.query('SELECT count(*) AS n FROM discrepancy')).rows).toEqual([{ n: 1n }]);
  });

  it("DuckDB's messages about the SQL become one-line usage errors; other errors pass through", () => {
    expect(sqlUsageError(new Error('Parser Error: syntax error at or near "selec"\n\nLINE 1: selec 1\n        ^'))?.message).toBe('the SQL was refused: Parser Error: syntax error at or near "selec"');
    expect(sqlUsageError(new Error('Failed to extract statements: Parser Error: unterminated quoted string'))?.message).toBe('the SQL was refused: Parser Error: unterminated quoted string');
    expect(sqlUsageError(new Error('IO Error: No files found that match the pattern'))).toBeUndefined();
    expect(sqlUsageError('not an error')).toBeUndefined();
  });
});

describe('errors DuckDB raises while the query runs', () => {
  it('a value the data cannot convert is "the query failed", not a refusal', () => {
    expect(sqlUsageError(new Error("Conversion Error: Could not convert string 'x' to INT32"))?.message).toBe("the query failed: Conversion Error: Could not convert string 'x' to INT32");
    expect(sqlUsageError(new Error('Binder Error: Referenced column "nope" not found'))?.message).toBe('the SQL was refused: Binder Error: Referenced column "nope" not found');
  });
});
