/**
 * The parser contract (src/sources/types.ts), checked on arbitrary input: every call returns
 * samples that satisfy the Sample schema, or throws InvalidSnapshotError naming its source and a
 * reason — any other exception fails. Inputs: fast-check's anything/jsonValue/strings, token soups
 * shaped like the CLI tables, and randomly mutated real/synthetic fixtures.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { parseKubeletSummary } from '../../../src/sources/kubelet-summary.js';
import { parseCrictlStats } from '../../../src/sources/crictl.js';
import { parseDockerApiStats } from '../../../src/sources/docker-api.js';
import { parseDockerStatsJsonLines, parseDockerStatsTable } from '../../../src/sources/docker-cli.js';
import { InvalidSnapshotError, type SnapshotSource } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { Sample } from '../../../src/model/sample.js';
import type { ParseContext, SourceParser } from '../../../src/sources/types.js';

const fixture = (dir: string, name: string) => readFileSync(new URL(`../../fixtures/${dir}/${name}`, import.meta.url), 'utf8');

interface Case {
  name: string;
  parser: SourceParser;
  source: SnapshotSource;
  /** Valid inputs to mutate. */
  seeds: unknown[];
}

const cases: Case[] = [
  {
    name: 'kubelet summary',
    parser: parseKubeletSummary,
    source: 'kubeletSummary',
    seeds: [
      JSON.parse(fixture('real', 'kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json')),
      JSON.parse(fixture('real', 'kubelet-stats-summary_k8s-1.18_docker-20.10.8_systemd.json')),
      JSON.parse(fixture('synthetic/a', 'kubelet-stats-summary_seed-article-busybox_synthetic.json')),
    ],
  },
  {
    name: 'crictl stats',
    parser: parseCrictlStats,
    source: 'crictlStats',
    seeds: [JSON.parse(fixture('synthetic/a', 'crictl-stats-json_synthetic_containerd-protojson.json'))],
  },
  {
    name: 'Docker API stats',
    parser: parseDockerApiStats,
    source: 'dockerApiStats',
    seeds: [
      [
        JSON.parse(fixture('real', 'docker-engine-api-v1.24-container-stats_docs-example_cgroupv1.json')),
        { id: 'ab'.repeat(32), name: '/k8s_app_p_ns_uid_0', read: '2026-01-01T00:00:00Z', memory_stats: { usage: 10485760, limit: 1 << 30, stats: JSON.parse(fixture('real', 'docker-engine-api-swagger-memory_stats.stats_example_cgroupv2.json')) } },
      ],
    ],
  },
  {
    name: 'docker stats json lines',
    parser: parseDockerStatsJsonLines,
    source: 'dockerStats',
    seeds: [[fixture('real', 'docker-stats-format-json_docs-example.jsonl').trim(), '{"ID":"db369d0c34bd","Name":"k8s_POD_b_ns_u_0","MemUsage":"-- / --"}']],
  },
  {
    name: 'docker stats table',
    parser: parseDockerStatsTable,
    source: 'dockerStatsTable',
    seeds: [fixture('real', 'docker-stats-table_docs-example.txt'), fixture('synthetic/a', 'docker-stats-table_seed-article.txt')],
  },
];

const baseCtx: ParseContext = { capturedAt: new Date('2026-11-27T05:30:57Z'), host: {}, limits: DEFAULT_LIMITS };

const ctxArb: fc.Arbitrary<ParseContext> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(baseCtx) },
  {
    weight: 1,
    arbitrary: fc.record({
      maxContainers: fc.integer({ min: 0, max: 5 }),
      maxLineLength: fc.integer({ min: 0, max: 300 }),
      runtime: fc.constantFrom(undefined, 'containerd://2.2.1', 'docker://20.10.8'),
      cgroupVersion: fc.constantFrom(undefined, 1 as const, 2 as const),
    }).map(({ maxContainers, maxLineLength, runtime, cgroupVersion }) => ({
      ...baseCtx,
      host: { ...(runtime ? { containerRuntime: runtime } : {}), ...(cgroupVersion ? { cgroupVersion } : {}) },
      limits: { ...DEFAULT_LIMITS, maxContainers, maxLineLength },
    })),
  },
);

/** Runs one parser and enforces the contract; returns what happened for statistics. */
function check(c: Case, input: unknown, ctx: ParseContext): 'ok' | 'rejected' {
  let samples: Sample[];
  try {
    samples = c.parser(input, ctx);
  } catch (e) {
    if (!(e instanceof InvalidSnapshotError)) throw new Error(`${c.name} threw a non-InvalidSnapshotError: ${String(e)}`, { cause: e });
    expect(e.source).toBe(c.source);
    expect(typeof e.path).toBe('string');
    expect(e.reason.length).toBeGreaterThan(0);
    return 'rejected';
  }
  expect(Array.isArray(samples)).toBe(true);
  for (const s of samples) {
    const r = Sample.safeParse(s);
    if (!r.success) throw new Error(`${c.name} produced an invalid Sample: ${r.error.message}`);
  }
  return 'ok';
}

const INTERESTING_KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty',
  'node', 'pods', 'podRef', 'containers', 'memory', 'swap', 'time', 'usageBytes', 'workingSetBytes', 'availableBytes',
  'stats', 'attributes', 'id', 'labels', 'value', 'timestamp', 'memory_stats', 'usage', 'limit', 'read', 'name',
  'MemUsage', 'ID', 'Name', 'Container', 'anon', 'file', 'cache', 'total_cache', 'inactive_file', 'total_inactive_file',
];
const keyArb = fc.oneof(fc.constantFrom(...INTERESTING_KEYS), fc.string({ maxLength: 8 }));

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, undefined, true, '', '0', '-1', '1e3', 'max', '18446744073709551615', '9223372036854771712', '-- / --', '620KiB / 7.69GiB',
    '2020-02-03T05:30:57Z', '0001-01-01T00:00:00Z', '2020-02-30T00:00:00Z', 0, -0, -1, 1.5, 2 ** 53, 2 ** 62, 2 ** 64, 1e308,
    Number.NaN, Number.POSITIVE_INFINITY, [], {}, { value: '1' }, { value: -1 }, [[]],
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2, key: keyArb }),
);

type PathStep = string | number;
function paths(v: unknown, prefix: PathStep[] = [], out: PathStep[][] = [], depth = 0): PathStep[][] {
  if (depth > 8 || out.length > 4000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => { out.push([...prefix, i]); paths(x, [...prefix, i], out, depth + 1); });
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) { out.push([...prefix, k]); paths((v as Record<string, unknown>)[k], [...prefix, k], out, depth + 1); }
  return out;
}

const DELETE = Symbol('delete');
function mutate(seed: unknown, edits: Array<[number, unknown]>): unknown {
  const doc: unknown = structuredClone(seed);
  const all = paths(doc);
  if (all.length === 0) return doc;
  for (const [idx, value] of edits) {
    const path = all[idx % all.length]!;
    let parent: any = doc;
    for (const step of path.slice(0, -1)) parent = parent?.[step];
    if (parent === null || typeof parent !== 'object') continue;
    const last = path[path.length - 1]!;
    if (value === DELETE) {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete parent[last];
    } else {
      Object.defineProperty(parent, last, { value, writable: true, enumerable: true, configurable: true });
    }
  }
  return doc;
}

function mutateText(text: string, edits: Array<[number, number, string]>): string {
  let t = text;
  for (const [pos, del, ins] of edits) {
    const p = t.length === 0 ? 0 : pos % (t.length + 1);
    t = t.slice(0, p) + ins + t.slice(p + del);
  }
  return t;
}

const TABLE_TOKENS = [
  'CONTAINER', 'ID', 'NAME', 'CPU', '%', 'MEM', 'USAGE', '/', 'LIMIT', 'NET', 'I/O', 'BLOCK', 'PIDS', 'PRIV', 'WORKING', 'SET',
  '--', '620KiB', '7.69GiB', '0B', '796', 'KiB', 'MB', '1.5', 'db369d0c34bd', 'k8s_POD_busybox_<省略>', 'k8s_app_p_ns_u_0', 'web',
  '0.00%', '1', '$', '#', '\u001b[2J', '1e+04YiB', '__proto__', '12.345MiB', '1024KiB', '\t', '\r',
  '495.2', 'kB', 'KB', 'GB', '16.66 GB', '1000kB', '1001MB', '[root@node02 ~]#',
];
const tableArb = fc
  .array(fc.array(fc.constantFrom(...TABLE_TOKENS), { maxLength: 16 }).map((t) => t.join(' ')), { maxLength: 8 })
  .map((lines) => lines.join('\n'));
const headerThenRowsArb = fc
  .array(fc.array(fc.constantFrom(...TABLE_TOKENS.slice(16)), { minLength: 8, maxLength: 15 }).map((t) => t.join('   ')), { maxLength: 5 })
  .map((rows) => ['CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS', ...rows].join('\n'));

let protoBefore: string[];
beforeAll(() => {
  protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
});
afterAll(() => {
  // No input may have reached Object.prototype.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
});

describe.each(cases)('$name: returns Sample[] or throws InvalidSnapshotError, for any input', (c) => {
  it('fc.anything()', () => {
    fc.assert(fc.property(fc.anything({ key: keyArb, withNullPrototype: true, withBoxedValues: true, withSparseArray: true, withMap: true, withSet: true, withTypedArray: true, withDate: true }), ctxArb, (input, ctx) => {
      check(c, input, ctx);
    }), { numRuns: 400 });
  });

  it('fc.jsonValue() through JSON text (own __proto__ keys as JSON.parse makes them)', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), ctxArb, (v, ctx) => {
      check(c, JSON.parse(JSON.stringify(v) ?? 'null'), ctx);
    }), { numRuns: 300 });
  });

  it('strings and arrays of strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.string({ maxLength: 120 }), { maxLength: 6 }), tableArb, headerThenRowsArb), ctxArb, (input, ctx) => {
      check(c, input, ctx);
    }), { numRuns: 300 });
  });

  it('mutated fixtures', () => {
    const editArb = fc.array(fc.tuple(fc.nat(), fc.oneof({ weight: 1, arbitrary: fc.constant<unknown>(DELETE) }, { weight: 4, arbitrary: nastyValue })), { minLength: 1, maxLength: 4 });
    const textEditArb = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(' ', '/', '\n', '"', '--', 'KiB', '.', '0', '{', '}'))), { minLength: 1, maxLength: 5 });
    const stats = { ok: 0, rejected: 0 };
    fc.assert(fc.property(fc.constantFrom(...c.seeds), editArb, textEditArb, ctxArb, (seed, edits, textEdits, ctx) => {
      let input: unknown;
      if (typeof seed === 'string') input = mutateText(seed, textEdits);
      else if (Array.isArray(seed) && seed.every((x) => typeof x === 'string')) input = seed.map((line, i) => (i === 0 ? mutateText(line, textEdits) : line));
      else input = mutate(seed, edits);
      stats[check(c, input, ctx)]++;
    }), { numRuns: 500 });
    // The mutations must exercise both outcomes, or the property says little.
    expect(stats.ok).toBeGreaterThan(0);
    expect(stats.rejected).toBeGreaterThan(0);
  });

  it('unmutated seeds parse', () => {
    for (const seed of c.seeds) expect(check(c, seed, baseCtx)).toBe('ok');
  });
});

describe('__proto__ / constructor keys stay inert', () => {
  const hostile = [
    '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "node": {"__proto__": {"memory": {"usageBytes": 1}}}, "pods": []}',
    '{"stats": [{"__proto__": {"x": 1}, "attributes": {"id": "ab", "labels": {"__proto__": {"polluted": 3}, "io.kubernetes.pod.name": "p"}}}]}',
    '[{"memory_stats": {"usage": 5, "stats": {"__proto__": 1, "constructor": 2, "prototype": 3, "anon": 1}}}]',
    '[{"__proto__": {"MemUsage": "1MiB / 2MiB"}, "ID": "db369d0c34bd", "MemUsage": "1MiB / 2MiB", "constructor": "x"}]',
  ];

  it.each(cases)('$name leaves Object.prototype untouched', (c) => {
    for (const text of hostile) {
      const parsed: unknown = JSON.parse(text);
      const inputs = [parsed, ...(Array.isArray(parsed) ? [parsed.map((x) => JSON.stringify(x))] : [])];
      for (const input of inputs) check(c, input, baseCtx);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(({} as Record<string, unknown>)['anon']).toBeUndefined();
  });

  it('a node object whose __proto__ key carries memory is not read as memory', () => {
    const [node] = parseKubeletSummary(JSON.parse(hostile[0]!), baseCtx);
    expect(node!.memory.usage).toBeNull();
  });

  it('crictl labels under __proto__ are ignored, own labels are read', () => {
    const [s] = parseCrictlStats(JSON.parse(hostile[1]!), baseCtx);
    expect(s!.identity.pod).toBe('p');
  });

  it('Docker API stats keys named __proto__/constructor/prototype are ordinary entries', () => {
    const [s] = parseDockerApiStats(JSON.parse(hostile[2]!), baseCtx);
    expect(Object.getPrototypeOf(s!.stat)).toBeNull();
    expect({ ...s!.stat }).toEqual({ ['__proto__']: 1, constructor: 2, prototype: 3, anon: 1 });
  });
});
