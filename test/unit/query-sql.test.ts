import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { tablesReferenced } from '../../src/query/engine.js';
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
