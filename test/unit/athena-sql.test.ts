/**
 * The Athena-dialect SQL text, checked without Athena: every statement memgap ships to Athena
 * (named queries, the pipeline's SQL files, the rendered MERGE / DDL / OPTIMIZE / VACUUM) calls
 * only functions on the checked Trino list (test/integration/helpers/trino-dialect.ts), and no
 * DuckDB-only function or syntax. Also: the Iceberg DDL matches the table contract, and the
 * Athena text ↔ JS value mapping round-trips (the stand-in renders, src/query/athena.ts parses).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnsOf, PARTITION_COLUMNS, TABLES } from '../../src/outputs/tables.js';
import { athenaMergeSql, COMPACTED_TABLES } from '../../src/pipeline/sql-steps.js';
import { athenaValue } from '../../src/query/athena.js';
import { icebergCreateSql, ICEBERG_PROPERTIES, ICEBERG_TABLES, optimizeSql, vacuumSql } from '../../src/query/athena-tables.js';
import { loadNamedQueries, sqlDir } from '../../src/query/named.js';
import { trinoToDuckDb } from '../../src/query/translate.js';
import { trendsMergeSql } from '../../src/trends/build.js';
import { athenaText, athenaType, literalFilter } from '../integration/helpers/athena-standin.js';
import { codeOnly, dialectProblems, DUCKDB_ONLY, functionCalls, TRINO_FUNCTIONS } from '../integration/helpers/trino-dialect.js';

/** sql/pipeline files that only DuckDB runs (local mode); named in their own header. */
const LOCAL_ONLY = ['compact-local.sql'];

function shippedStatements(): { name: string; sql: string }[] {
  const out: { name: string; sql: string }[] = [];
  for (const q of loadNamedQueries()) out.push({ name: `sql/${path.basename(q.file)}`, sql: q.sql });
  const dir = path.join(sqlDir(), 'pipeline');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.sql') && !LOCAL_ONLY.includes(f)).sort()) out.push({ name: `sql/pipeline/${f}`, sql: readFileSync(path.join(dir, f), 'utf8') });
  for (const t of COMPACTED_TABLES) out.push({ name: `athenaMergeSql(${t})`, sql: athenaMergeSql(t, { arrival: '2026-11-30T05', cluster: 'prod-eu' }) });
  out.push({ name: 'trendsMergeSql', sql: trendsMergeSql('2026-11-30', 'prod-eu') });
  for (const t of ICEBERG_TABLES) {
    out.push({ name: `icebergCreateSql(${t})`, sql: icebergCreateSql(t, `s3://bucket/iceberg/${t}/`) });
    out.push({ name: `optimizeSql(${t})`, sql: optimizeSql(t, '2026-11-30', 'prod-eu') });
    out.push({ name: `vacuumSql(${t})`, sql: vacuumSql(t) });
  }
  return out;
}

describe('every shipped Athena statement is Trino SQL', () => {
  const statements = shippedStatements();

  it('covers the named queries, the pipeline files, and the rendered MERGE / DDL / OPTIMIZE / VACUUM', () => {
    expect(statements.length).toBeGreaterThanOrEqual(6 + 3 + 2 + 1 + 9);
    expect(readFileSync(path.join(sqlDir(), 'pipeline', 'compact-local.sql'), 'utf8')).toMatch(/^-- description: Local step .*DuckDB/m);
  });

  for (const { name, sql } of shippedStatements()) {
    it(`${name}: only checked Trino functions, no DuckDB-only function or syntax`, () => {
      expect(dialectProblems(sql)).toEqual([]);
    });
  }

  it('uses each Trino function whose DuckDB name differs only where translate.ts renames it', () => {
    const renamed = new Set(['to_unixtime', 'approx_percentile', 'format']);
    for (const { name, sql } of statements) {
      const translated = functionCalls(trinoToDuckDb(sql));
      for (const f of functionCalls(sql).keys()) {
        const duck = TRINO_FUNCTIONS[f];
        if (!duck || !renamed.has(f)) continue;
        expect(translated.has(f), `${name}: ${f} left for DuckDB`).toBe(false);
      }
      // What DuckDB runs never contains a Trino-only name that DuckDB lacks.
      for (const f of ['approx_percentile', 'to_unixtime']) expect(translated.has(f), `${name}: ${f}`).toBe(false);
    }
  });

  it('the checked list names the Trino spellings, with the DuckDB name where it differs', () => {
    for (const f of ['approx_percentile', 'regr_slope', 'element_at', 'array_sort', 'count_if', 'to_unixtime', 'max_by', 'lag']) expect(TRINO_FUNCTIONS, f).toHaveProperty([f]);
    expect(TRINO_FUNCTIONS.approx_percentile).toMatch(/approx_quantile/);
    expect(TRINO_FUNCTIONS.to_unixtime).toMatch(/epoch/);
    // No name is both a checked Trino function and a DuckDB-only one.
    for (const f of Object.keys(DUCKDB_ONLY)) expect(TRINO_FUNCTIONS[f], f).toBeUndefined();
  });
});

describe('the dialect checker catches what Athena would reject', () => {
  it.each([
    ['SELECT approx_quantile(x, 0.5) FROM t', 'approx_quantile'],
    ['SELECT quantile_disc(x, 0.95) FROM t', 'quantile_disc'],
    ['SELECT list_extract(flags, 1) FROM t', 'list_extract'],
    ['SELECT epoch(captured_at) FROM t', 'epoch'],
    ["SELECT strftime(captured_at, '%Y') FROM t", 'strftime'],
    ['SELECT list_sort(flags) FROM t', 'list_sort'],
  ])('%s → %s', (sql, fn) => {
    expect(dialectProblems(sql).map((p) => p.what)).toEqual([`DuckDB-only function ${fn}()`]);
  });

  it.each([
    ['SELECT x::BIGINT FROM t', '`::` cast'],
    ['SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY a ORDER BY b) = 1', 'QUALIFY'],
    ['SELECT a, count(*) FROM t GROUP BY ALL', 'GROUP BY ALL'],
    ['SELECT * EXCLUDE (a) FROM t', 'EXCLUDE'],
    ['SELECT bytes / 1048576 AS mib FROM t', 'division by an integer literal'],
  ])('%s → %s', (sql, what) => {
    expect(dialectProblems(sql).map((p) => p.what).join()).toContain(what);
  });

  it('flags an unknown function, but not CTE names, MERGE column lists or words inside strings and comments', () => {
    expect(dialectProblems('SELECT frobnicate(x) FROM t').map((p) => p.what)).toEqual(['function frobnicate() is not in the checked Trino list']);
    expect(dialectProblems("WITH d AS (SELECT 1 AS x), e AS (SELECT x FROM d) SELECT 'epoch(x)' AS s FROM e -- approx_quantile(x)\n")).toEqual([]);
    expect(dialectProblems('MERGE INTO t AS x USING s ON x.a = s.a WHEN NOT MATCHED THEN INSERT (a, b) VALUES (s.a, s.b)')).toEqual([]);
  });

  it('codeOnly keeps offsets and blanks string contents and comments (property)', () => {
    const word = fc.constantFrom(...Object.keys(DUCKDB_ONLY));
    fc.assert(
      fc.property(fc.array(fc.tuple(word, fc.constantFrom('string', 'comment', 'block')), { minLength: 1, maxLength: 5 }), (parts) => {
        const sql = 'SELECT 1' + parts.map(([w, where]) => (where === 'string' ? ` , '${w}(x)'` : where === 'comment' ? ` -- ${w}(x)\n` : ` /* ${w}(x) */`)).join('');
        const code = codeOnly(sql);
        return code.length === sql.length && functionCalls(sql).size === 0 && dialectProblems(sql).length === 0;
      }),
    );
  });
});

describe('Iceberg tables: the DDL the plan function runs', () => {
  for (const table of ICEBERG_TABLES) {
    it(`${table}: contract columns in order, then dt and cluster; partitioned by dt, cluster; only Athena's Iceberg properties`, () => {
      const sql = icebergCreateSql(table, `s3://b/p/iceberg/${table}/`);
      const body = sql.slice(sql.indexOf('(') + 1, sql.indexOf('\n)'));
      const cols = body.split(',\n').map((l) => /^\s*(\w+) (\S+) COMMENT /.exec(l)!.slice(1, 3));
      expect(cols).toEqual([...columnsOf(TABLES[table]).map((c) => [c.name, c.glue]), ...PARTITION_COLUMNS.map((p) => [p.name, p.glue])]);
      expect(sql).toContain('\nPARTITIONED BY (dt, cluster)\n');
      expect(sql).toContain(`\nLOCATION 's3://b/p/iceberg/${table}/'\n`);
      expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS /);
      // Hive's DDL grammar has no doubled-quote escape: each comment is one plain literal.
      for (const line of body.split(',\n')) expect(line).toMatch(/ COMMENT '[^'\\]{0,255}'$/);
      // Athena's documented Iceberg table properties (CREATE TABLE → "TBLPROPERTIES"); it rejects any other.
      const allowed = ['table_type', 'format', 'write_compression', 'optimize_rewrite_min_data_file_size_bytes', 'optimize_rewrite_max_data_file_size_bytes', 'optimize_rewrite_data_file_threshold', 'optimize_rewrite_delete_file_threshold', 'vacuum_min_snapshots_to_keep', 'vacuum_max_snapshot_age_seconds', 'vacuum_max_metadata_files_to_keep'];
      for (const k of Object.keys(ICEBERG_PROPERTIES)) expect(allowed).toContain(k);
      expect(ICEBERG_PROPERTIES.table_type).toBe('ICEBERG');
      expect(sql).toContain(`'write_compression' = 'ZSTD'`); // measured 1.7× smaller than SNAPPY (docs/aws.md)
    });
  }

  it('OPTIMIZE pins both partition columns (Athena allows only partition columns there); VACUUM takes none', () => {
    expect(optimizeSql('samples', '2026-11-30', "o'brien")).toBe("OPTIMIZE samples REWRITE DATA USING BIN_PACK WHERE dt = '2026-11-30' AND cluster = 'o''brien'");
    expect(vacuumSql('trends_daily')).toBe('VACUUM trends_daily');
  });
});

describe('Athena result text ↔ JS values (stand-in renders, the engine parses)', () => {
  const roundTrip = (duck: string, v: unknown) => athenaValue(athenaType(duck), athenaText(v, duck) ?? undefined);

  it('round-trips BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, VARCHAR and VARCHAR[] (property)', () => {
    const safe = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes(', ') && !s.startsWith(' ') && !s.endsWith(' ') && s !== 'null');
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.string(),
        fc.array(safe, { maxLength: 4 }),
        (big, dbl, bool, date, str, arr) => {
          expect(roundTrip('BIGINT', big)).toBe(big);
          expect(roundTrip('DOUBLE', dbl)).toBe(dbl);
          expect(roundTrip('BOOLEAN', bool)).toBe(bool);
          expect((roundTrip('TIMESTAMP WITH TIME ZONE', date) as Date).getTime()).toBe(date.getTime());
          expect(roundTrip('VARCHAR', str)).toBe(str);
          expect(roundTrip('VARCHAR[]', arr)).toEqual(arr);
          expect(roundTrip('BIGINT', null)).toBeNull();
        },
      ),
    );
  });
});

describe('athenaValue: the text Athena returns for each type', () => {
  it.each([
    ['timestamp', '2026-11-26 10:00:00.123', new Date('2026-11-26T10:00:00.123Z')],
    ['timestamp', '2026-11-26 10:00:00', new Date('2026-11-26T10:00:00.000Z')],
    ['timestamp(6)', '2026-11-26 10:00:00.123456', new Date('2026-11-26T10:00:00.123Z')],
    ['timestamp with time zone', '2026-11-26 10:00:00.500 UTC', new Date('2026-11-26T10:00:00.500Z')],
    ['double', '1.0E10', 1e10],
    ['double', 'NaN', NaN],
    ['double', '-Infinity', -Infinity],
    ['decimal', '1.25', 1.25],
    ['integer', '-7', -7],
    ['bigint', '9223372036854775807', 9223372036854775807n],
    ['boolean', 'false', false],
    ['date', '2026-11-26', '2026-11-26'],
    ['array', '[]', []],
    ['array', '[near-limit, no-limit]', ['near-limit', 'no-limit']],
    ['varchar', undefined, null],
  ])('%s %s', (type, text, value) => {
    expect(athenaValue(type, text)).toEqual(value);
  });
});

describe("the stand-in's partition pruning: literal predicates on a partition column", () => {
  it.each([
    ["WHERE dt = '2026-11-30' AND cluster = 'a'", 'dt', ['2026-11-30'], ['2026-11-29']],
    ["WHERE t.dt IN ('2026-11-29', '2026-11-30')", 'dt', ['2026-11-29', '2026-11-30'], ['2026-11-28']],
    ["WHERE dt BETWEEN '2026-11-01' AND '2026-11-30'", 'dt', ['2026-11-01', '2026-11-15'], ['2026-12-01']],
    ["WHERE dt >= '2026-11-29' AND dt < '2026-12-01'", 'dt', ['2026-11-29', '2026-11-30'], ['2026-12-01', '2026-11-28']],
    ["WHERE staged.arrival = '2026-11-30T05'", 'arrival', ['2026-11-30T05'], ['2026-11-30T06']],
  ])('%s', (where, col, inside, outside) => {
    const f = literalFilter(`SELECT * FROM x ${where}`, col)!;
    for (const v of inside) expect(f(v), v).toBe(true);
    for (const v of outside) expect(f(v), v).toBe(false);
  });

  it('no literal predicate (a join, a comment, a string elsewhere) leaves the column open', () => {
    expect(literalFilter("SELECT * FROM t JOIN s ON t.dt = s.dt -- dt = '2026-11-30'\nWHERE s.note = 'dt = 1'", 'dt')).toBeNull();
  });
});
