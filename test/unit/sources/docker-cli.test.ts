import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDockerStatsJsonLines, parseDockerStatsTable } from '../../../src/sources/docker-cli.js';
import { InvalidSnapshotError } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import type { ParseContext } from '../../../src/sources/types.js';
import type { SourceParser } from '../../../src/sources/types.js';
import { rejectionOf } from './helpers.js';

const ctx: ParseContext = { capturedAt: new Date('2026-11-27T05:30:57Z'), host: {}, limits: DEFAULT_LIMITS };
const text = (dir: string, name: string) => readFileSync(new URL(`../../fixtures/${dir}/${name}`, import.meta.url), 'utf8');
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const rejection = (parser: SourceParser, input: unknown, c: ParseContext = ctx): InvalidSnapshotError => rejectionOf(() => parser(input, c));

describe('parseDockerStatsJsonLines', () => {
  const docsLine = text('real', 'docker-stats-format-json_docs-example.jsonl').trimEnd();

  it('reads the docs example line: ID, Name, and MemUsage "2.352MiB / 982.5MiB" with its rounding', () => {
    const [s] = parseDockerStatsJsonLines([docsLine], ctx);
    expect(s!.source).toBe('docker-cli');
    expect(s!.sampledAt).toBeNull();
    expect(s!.identity).toMatchObject({ level: 'container', containerId: 'ed37317fbf42', runtimeName: 'nginx', pod: null, isPause: false });
    // 2.352 × 1048576 = 2466250.752 ± 0.0005 MiB (524.288); 982.5 × 1048576 = 1030225920 ± 0.05 MiB (52428.8)
    expect(s!.reported!.text).toBe('2.352MiB');
    expect(s!.reported!.bytes).toBeCloseTo(2466250.752, 3);
    expect(s!.reported!.uncertaintyBytes).toBeCloseTo(524.288, 6);
    expect(s!.reportedLimit!.text).toBe('982.5MiB');
    expect(s!.reportedLimit!.bytes).toBeCloseTo(1030225920, 3);
    expect(s!.reportedLimit!.uncertaintyBytes).toBeCloseTo(52428.8, 6);
    // the CLI prints no cgroup quantities
    expect(s!.memory.usage).toBeNull();
    expect(s!.memory.limit).toBeNull();
  });

  it('accepts the same output as one string, with blank lines and CRLF', () => {
    expect(parseDockerStatsJsonLines(`${docsLine}\r\n\r\n`, ctx)).toEqual(parseDockerStatsJsonLines([docsLine], ctx));
  });

  it('parses dockershim names and --no-trunc ids; "-- / --" gives no value', () => {
    const id = 'db369d0c34bd'.padEnd(64, '0');
    const line = JSON.stringify({ ID: id, Name: 'k8s_POD_busybox_default_6b5a2e4f-0d53-4a8e-9f37-1f2b3c4d5e6f_0', MemUsage: '-- / --', Container: id });
    const [s] = parseDockerStatsJsonLines([line], ctx);
    expect(s!.identity).toMatchObject({ containerId: id, container: 'POD', pod: 'busybox', namespace: 'default', isPause: true });
    expect(s!.reported).toBeNull();
    expect(s!.reportedLimit).toBeNull();
  });

  it('uses Container as the id when the format has no ID and Container is hex', () => {
    const [s] = parseDockerStatsJsonLines([JSON.stringify({ Container: 'ed37317fbf42', MemUsage: '1MiB / 2GiB' })], ctx);
    expect(s!.identity.containerId).toBe('ed37317fbf42');
    // 1 MiB: one integer digit → ± 0.0005 MiB = 524.288 B
    expect(s!.reported).toEqual({ bytes: MiB, uncertaintyBytes: 524.288, text: '1MiB' });
  });

  it('rejects with the line number and the field', () => {
    let e = rejection(parseDockerStatsJsonLines, [docsLine, '{"ID": "ab"']);
    expect(e.source).toBe('dockerStats');
    expect(e.path).toBe('line 2');
    expect(e.reason).toContain('not valid JSON');
    e = rejection(parseDockerStatsJsonLines, [docsLine, '', JSON.stringify({ ID: 'ed37317fbf42' })]);
    expect(e.path).toBe('line 3');
    expect(e.reason).toContain('MemUsage');
    e = rejection(parseDockerStatsJsonLines, [JSON.stringify({ ID: 'ed37317fbf42', MemUsage: '5MB / 1GB' })]);
    expect(e.reason).toBe('MEM USAGE "5MB": decimal unit: docker stats --format (Docker ≥ 1.13) prints memory in binary units (KiB, MiB, GiB…)');
    e = rejection(parseDockerStatsJsonLines, [docsLine, 42]);
    expect(e.path).toBe('line 2');
    expect(e.reason).toBe('expected a string, got number');
    expect(rejection(parseDockerStatsJsonLines, { lines: [] }).path).toBe('');
  });

  it('enforces maxLineLength and maxContainers', () => {
    const small = { ...ctx, limits: { ...DEFAULT_LIMITS, maxLineLength: 100, maxContainers: 1 } };
    expect(rejection(parseDockerStatsJsonLines, [docsLine], small).reason).toBe('longer than the limit of 100 characters');
    const short = JSON.stringify({ ID: 'ed37317fbf42', MemUsage: '1MiB / 2GiB' });
    expect(parseDockerStatsJsonLines([short], small)).toHaveLength(1);
    expect(rejection(parseDockerStatsJsonLines, [short, short], small).reason).toContain('more than 1 containers');
  });
});

describe('parseDockerStatsTable', () => {
  it('reads the docs example table (command line, blank line, wide columns)', () => {
    const rows = parseDockerStatsTable(text('real', 'docker-stats-table_docs-example.txt'), ctx);
    expect(rows.map((r) => [r.identity.containerId, r.identity.runtimeName, r.reported!.text, r.reportedLimit!.text])).toEqual([
      ['b95a83497c91', 'awesome_brattain', '5.629MiB', '1.952GiB'],
      ['67b2525d8ad1', 'foobar', '1.727MiB', '1.952GiB'],
      ['e5c383697914', 'test-1951.1.kay7x1lh1twk9c0oig50sd5tr', '196KiB', '1.952GiB'],
      ['4bda148efbc0', 'random.1.vnc8on831idyr42slu578u3cr', '1.672MiB', '1.952GiB'],
    ]);
    // 5.629 × 1048576 = 5902434.304; 196 × 1024 = 200704 ± 0.05 KiB (51.2); 1.952 × 2^30 = 2095944040.448
    expect(rows[0]!.reported!.bytes).toBeCloseTo(5902434.304, 3);
    expect(rows[2]!.reported).toEqual({ bytes: 200704, uncertaintyBytes: 51.2, text: '196KiB' });
    expect(rows[0]!.reportedLimit!.bytes).toBeCloseTo(2095944040.448, 3);
    expect(rows.every((r) => r.source === 'docker-cli' && r.sampledAt === null)).toBe(true);
  });

  it.each(['docker-stats-table_seed-article.txt', 'docker-stats-table_seed-article_after-read.txt'])(
    'reads the seed article row with its elided name (%s)',
    (file) => {
      const [s] = parseDockerStatsTable(text('synthetic/a', file), ctx);
      // name kept as printed; the full dockershim parse fails, its whole leading fields are read: POD of pod busybox
      expect(s!.identity).toMatchObject({ containerId: 'db369d0c34bd', runtimeName: 'k8s_POD_busybox_<省略>', isPause: true, container: 'POD', pod: 'busybox', namespace: null });
      // 620 × 1024 = 634880 ± 51.2; 7.69 × 2^30 = 8257074626.56 ± 536870.912
      expect(s!.reported).toEqual({ bytes: 634880, uncertaintyBytes: 51.2, text: '620KiB' });
      expect(s!.reportedLimit!.bytes).toBeCloseTo(7.69 * GiB, 3);
      expect(s!.reportedLimit!.uncertaintyBytes).toBeCloseTo(0.0005 * GiB, 6);
    },
  );

  it('reads a pre-1.13 table (first column CONTAINER, no NAME, spaces before units) — synthetic, in the Docker 1.x docs layout', () => {
    const table = [
      'CONTAINER           CPU %               MEM USAGE / LIMIT     MEM %               NET I/O             BLOCK I/O           PIDS',
      '1285939c1fd3        0.07%               796 KiB / 64 MiB      1.21%               788 B / 648 B       3.568 MB / 512 KB   2',
      'my_redis            0.03%               4.583 MiB / 64 MiB    6.30%               2.854 KB / 648 B    27.7 MB / 0 B       1',
    ].join('\n');
    const [a, b] = parseDockerStatsTable(table, ctx);
    // 796 × 1024 = 815104 ± 51.2; 64 MiB ± 0.005 MiB = 5242.88
    expect(a!.identity).toMatchObject({ containerId: '1285939c1fd3', runtimeName: null });
    expect(a!.reported).toEqual({ bytes: 815104, uncertaintyBytes: 51.2, text: '796 KiB' });
    expect(a!.reportedLimit).toEqual({ bytes: 64 * MiB, uncertaintyBytes: 5242.88, text: '64 MiB' });
    expect(b!.identity).toMatchObject({ containerId: null, runtimeName: 'my_redis' });
  });

  it('reads decimal units (HumanSize) from a Docker ≤ 1.11 table pasted with its prompts (synthetic/a, figures of moby/moby#27727)', () => {
    const rows = parseDockerStatsTable(text('synthetic/a', 'docker-stats-table_docker-1.11-decimal-units_synthetic.txt'), ctx);
    expect(rows.map((r) => r.identity.containerId)).toEqual(['728c7cfbec9b', 'c85311367a4d', '0cc1ddc66c1a']);
    const [a, , c] = rows;
    // 284.3 MB = 284.3 × 1000^2 = 284300000 B, ± 0.05 MB = 50000 B (three integer digits)
    expect(a!.reported!.text).toBe('284.3 MB');
    expect(a!.reported!.bytes).toBeCloseTo(284_300_000, 3);
    expect(a!.reported!.uncertaintyBytes).toBeCloseTo(50_000, 6);
    // 33.24 MB: two integer digits → ± 0.005 MB = 5000 B
    expect(c!.reported!.bytes).toBeCloseTo(33_240_000, 3);
    expect(c!.reported!.uncertaintyBytes).toBeCloseTo(5000, 6);
    // 16.66 GB = 16660000000 B, ± 0.005 GB = 5000000 B
    expect(a!.reportedLimit!.bytes).toBeCloseTo(16_660_000_000, 1);
    expect(a!.reportedLimit!.uncertaintyBytes).toBeCloseTo(5_000_000, 3);
  });

  it('stops at the next command pasted after the table (a prompt with a command), until a header starts a table again', () => {
    const paste = [
      '[root@node02 ~]# docker stats --no-stream | grep harbor',
      'CONTAINER ID   NAME          CPU %     MEM USAGE / LIMIT     MEM %     NET I/O   BLOCK I/O   PIDS',
      '0123456789ab   harbor-core   0.10%     95.3MiB / 7.69GiB     1.21%     0B / 0B   0B / 0B     12',
      '[root@node02 ~]# cat /sys/fs/cgroup/memory/docker/0123456789ab*/memory.stat',
      'cache 1048576',
      'rss 99942400',
    ].join('\n');
    const rows = parseDockerStatsTable(paste, ctx);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reported!.text).toBe('95.3MiB');
  });

  it('keeps a stopped container (`--` cells) with no values, and a Windows table (one value, no limit)', () => {
    const linux = [
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS',
      '0123456789ab   gone      --        -- / --             --        --        --          --',
    ].join('\n');
    const [g] = parseDockerStatsTable(linux, ctx);
    expect(g!.identity.runtimeName).toBe('gone');
    expect(g!.reported).toBeNull();
    const windows = [
      'CONTAINER ID   NAME      CPU %     PRIV WORKING SET   NET I/O           BLOCK I/O',
      '0123456789ab   iis       0.00%     52.5MiB            1.2kB / 656B      5.4MB / 12.3MB',
    ].join('\n');
    const [w] = parseDockerStatsTable(windows, ctx);
    // 52.5 × 1048576 = 55050240; two integer digits → ± 0.005 MiB = 5242.88
    expect(w!.reported).toEqual({ bytes: 55050240, uncertaintyBytes: 5242.88, text: '52.5MiB' });
    expect(w!.reportedLimit).toBeNull();
  });

  it('keeps only the last frame of a streamed table (header repeated, ANSI clear-screen codes)', () => {
    const frame = (mem: string) =>
      `\u001b[2J\u001b[HCONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS\n0123456789ab   web    0.10%   ${mem} / 1GiB   1.00%   0B / 0B   0B / 0B   3\n`;
    const rows = parseDockerStatsTable(frame('10MiB') + frame('11MiB') + '$ ', ctx);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reported!.text).toBe('11MiB');
  });

  it('reads a custom `table {{.Name}}\\t{{.MemUsage}}` format', () => {
    const [s] = parseDockerStatsTable('NAME      MEM USAGE / LIMIT\nweb       1.5GiB / 2GiB\n', ctx);
    expect(s!.identity.runtimeName).toBe('web');
    expect(s!.reported!.bytes).toBe(1.5 * GiB);
  });

  it('rejects with line numbers and reasons', () => {
    const header = 'CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS';
    let e = rejection(parseDockerStatsTable, 'hello\nworld');
    expect(e.source).toBe('dockerStatsTable');
    expect(e.reason).toContain('no header line');
    e = rejection(parseDockerStatsTable, `${header} CPU TIME`);
    expect(e).toMatchObject({ path: 'line 1', reason: 'unknown column header at "CPU TIME"' });
    e = rejection(parseDockerStatsTable, `\n${header}\n0123456789ab web 0.1% 1MiB / 1GiB 1% 0B / 0B 0B / 0B 3 extra`);
    expect(e).toMatchObject({ path: 'line 3', reason: "1 more cells than the header's 8 columns" });
    e = rejection(parseDockerStatsTable, `${header}\nzzz web 0.1% 1MiB / 1GiB 1% 0B / 0B 0B / 0B 3`);
    expect(e.reason).toBe('CONTAINER ID "zzz" is not a hexadecimal container id');
    e = rejection(parseDockerStatsTable, `${header}\n0123456789ab web 0.1%`);
    expect(e.reason).toContain('row ends before the memUsage column');
    e = rejection(parseDockerStatsTable, `${header}\n0123456789ab web 0.1% 1.23456MiB / 1GiB 1% 0B / 0B 0B / 0B 3`);
    expect(e.reason).toBe('MEM USAGE "1.23456MiB": more than 4 significant digits: not %.4g output');
    expect(rejection(parseDockerStatsTable, ['x']).reason).toContain('one string');
  });

  it('enforces maxLineLength and maxContainers', () => {
    const t = text('real', 'docker-stats-table_docs-example.txt');
    expect(rejection(parseDockerStatsTable, t, { ...ctx, limits: { ...DEFAULT_LIMITS, maxLineLength: 100 } }).reason).toBe('longer than the limit of 100 characters');
    expect(rejection(parseDockerStatsTable, t, { ...ctx, limits: { ...DEFAULT_LIMITS, maxContainers: 3 } })).toMatchObject({ path: 'line 7', reason: 'more than 3 containers, the limit per capture' });
  });
});
