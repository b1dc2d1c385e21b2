/**
 * Property tests of the parser contract (src/sources/types.ts) for the Prometheus-text and cgroup
 * parsers, and of the identity helpers: for ANY input, samples that satisfy the Sample schema, or
 * an InvalidSnapshotError naming the source; never another exception; untrusted keys stay inert.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidSnapshotError, type SnapshotSource } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { Sample } from '../../../src/model/sample.js';
import { parseCgroups } from '../../../src/sources/cgroup.js';
import { parseCgroupPath, parseDockershimName, parseDockershimPrefix } from '../../../src/sources/identity.js';
import { parseKubeletCadvisorMetrics, parseKubeletResourceMetrics } from '../../../src/sources/prometheus.js';
import type { ParseContext, SourceParser } from '../../../src/sources/types.js';

const ctx: ParseContext = { capturedAt: new Date('2026-11-27T05:30:57Z'), host: {}, limits: { ...DEFAULT_LIMITS, maxLineLength: 300, maxContainers: 50 } };
const RUNS = { numRuns: 300 };

/** Runs a parser; passes when it returns schema-valid samples or throws InvalidSnapshotError for `source`. */
function contract(parser: SourceParser, source: SnapshotSource, input: unknown, context: ParseContext = ctx): 'ok' | 'rejected' {
  let out: unknown;
  try {
    out = parser(input, context);
  } catch (err) {
    if (!(err instanceof InvalidSnapshotError)) throw err;
    expect(err.source).toBe(source);
    expect(err.reason.length).toBeGreaterThan(0);
    return 'rejected';
  }
  expect(Array.isArray(out)).toBe(true);
  for (const s of out as unknown[]) {
    const r = Sample.safeParse(s);
    if (!r.success) throw new Error(`invalid sample: ${JSON.stringify(r.error.issues[0])}`);
  }
  return 'ok';
}

const nastyKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf');
const labelName = fc.oneof(nastyKey, fc.constantFrom('container', 'pod', 'namespace', 'id', 'name', 'image'), fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/));
const labelValue = fc.oneof(
  fc.constantFrom('', 'POD', '/', '/kubepods/burstable/pod1234', `/kubepods/pod12/${'a'.repeat(64)}`, 'k8s_app_p_ns_uid_0', '__proto__'),
  fc.string({ maxLength: 20 }),
);
const metricName = fc.oneof(
  fc.constantFrom(
    'container_memory_working_set_bytes',
    'pod_memory_working_set_bytes',
    'node_memory_working_set_bytes',
    'container_swap_usage_bytes',
    'container_memory_usage_bytes',
    'container_memory_rss',
    'container_memory_cache',
    'container_memory_swap',
    'container_memory_mapped_file',
    'container_spec_memory_limit_bytes',
    'constructor',
    '__proto__',
  ),
  fc.string({ maxLength: 12 }),
);
const valueText = fc.oneof(
  fc.constantFrom('0', '1', '1.0469376e+07', 'NaN', '+Inf', '-Inf', '-1', '0.5', '9.223372036854772e+18', '1e400', '9007199254740993', 'abc', ''),
  fc.double().map(String),
  fc.nat().map(String),
);
const tsText = fc.oneof(fc.constant(''), fc.constantFrom(' 1782468869183', ' -1', ' 99999999999999999999', ' x'), fc.integer().map((n) => ` ${n}`));
const sampleLine = fc
  .tuple(metricName, fc.array(fc.tuple(labelName, labelValue), { maxLength: 5 }), valueText, tsText)
  .map(([n, ls, v, ts]) => {
    const labels = ls.map(([k, val]) => `${k}="${val.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
    return `${n}${ls.length ? `{${labels}}` : ''} ${v}${ts}`;
  });
const anyLine = fc.oneof(
  { weight: 5, arbitrary: sampleLine },
  { weight: 1, arbitrary: fc.constantFrom('# HELP x y', '# TYPE x gauge', '# TYPE x', '#comment', '', '   ', '{', 'a{b="c"', 'a{b=c} 1', 'a{,} 1') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const exposition = fc.array(anyLine, { maxLength: 30 }).map((ls) => ls.join('\n'));

describe.each([
  ['kubeletResourceMetrics', parseKubeletResourceMetrics],
  ['kubeletCadvisorMetrics', parseKubeletCadvisorMetrics],
] as const)('%s parser contract', (source, parser) => {
  it('arbitrary values of any type', () => {
    fc.assert(fc.property(fc.anything(), (x) => void contract(parser, source, x)), RUNS);
  });
  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (x) => void contract(parser, source, x)), RUNS);
  });
  it('exposition-shaped text (some accepted, some rejected)', () => {
    const seen = { ok: 0, rejected: 0 };
    fc.assert(
      fc.property(exposition, (x) => {
        seen[contract(parser, source, x)]++;
      }),
      { numRuns: 500 },
    );
    // the generator must exercise both outcomes, or this property tests nothing
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });
  it('small limits are enforced with InvalidSnapshotError, never a crash', () => {
    const tight: ParseContext = { ...ctx, limits: { ...ctx.limits, maxLineLength: 30, maxContainers: 1 } };
    fc.assert(fc.property(exposition, (x) => void contract(parser, source, x, tight)), RUNS);
  });
});

describe('well-formed expositions round-trip', () => {
  it('every generated container working set comes back exactly, with its labels and timestamp', () => {
    const ident = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const series = fc.uniqueArray(fc.record({ ns: ident, pod: ident, c: ident, v: fc.nat({ max: Number.MAX_SAFE_INTEGER }), ts: fc.option(fc.nat({ max: 4e12 })) }), {
      selector: (r) => `${r.ns}/${r.pod}/${r.c}`,
      maxLength: 20,
    });
    fc.assert(
      fc.property(series, (rows) => {
        const text = rows
          .map((r) => `container_memory_working_set_bytes{container="${r.c}",namespace="${r.ns}",pod="${r.pod}"} ${r.v}${r.ts === null ? '' : ` ${r.ts}`}`)
          .join('\n');
        const out = parseKubeletResourceMetrics(text, ctx);
        expect(out).toHaveLength(rows.length);
        for (const r of rows) {
          const s = out.find((x) => x.identity.namespace === r.ns && x.identity.pod === r.pod && x.identity.container === r.c);
          expect(s?.memory.workingSet).toBe(r.v);
          expect(s?.sampledAt?.getTime() ?? null).toBe(r.ts);
        }
      }),
      RUNS,
    );
  });
});

const fileName = fc.oneof(
  fc.constantFrom(
    'memory.stat',
    'memory.current',
    'memory.usage_in_bytes',
    'memory.max',
    'memory.limit_in_bytes',
    'memory.swap.current',
    'memory.kmem.usage_in_bytes',
    'memory.events',
    'memory.oom_control',
    'memory.peak',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 10 }),
);
const statKey = fc.oneof(
  nastyKey,
  fc.constantFrom('anon', 'file', 'cache', 'rss', 'total_cache', 'total_rss', 'inactive_file', 'total_inactive_file', 'shmem', 'oom_kill', 'hierarchical_memory_limit'),
  fc.stringMatching(/^[a-z_]{1,10}$/),
);
const numberText = fc.oneof(
  fc.nat().map(String),
  fc.constantFrom('max', '9223372036854771712', '9007199254740993', '-1', '1.5', 'x', ''),
  fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
);
const flatFile = fc
  .array(fc.tuple(statKey, numberText, fc.constantFrom(' ', '\t', '  ')), { maxLength: 12 })
  .chain((kv) => fc.constantFrom('\n', '', '\r\n').map((end) => kv.map(([k, v, sep]) => `${k}${sep}${v}`).join('\n') + end));
const fileText = fc.oneof(flatFile, numberText.map((n) => `${n}\n`), fc.string({ maxLength: 40 }));
const cgroupPath = fc.oneof(
  fc.constantFrom('/', '/kubepods/burstable/pod1234', `/kubepods/pod12/${'b'.repeat(64)}`, '/system.slice/kubelet.service', '', '/sys/fs/cgroup/memory'),
  fc.string({ maxLength: 60 }),
);
const entry = fc.record({ path: cgroupPath, files: fc.dictionary(fileName, fileText, { maxKeys: 6 }) });

describe('cgroups parser contract', () => {
  it('arbitrary values of any type', () => {
    fc.assert(fc.property(fc.anything(), (x) => void contract(parseCgroups, 'cgroups', x)), RUNS);
  });
  it('arrays of arbitrary objects', () => {
    fc.assert(fc.property(fc.array(fc.object(), { maxLength: 4 }), (x) => void contract(parseCgroups, 'cgroups', x)), RUNS);
  });
  it('file sets shaped like the real ones, with and without host.cgroupVersion', () => {
    const seen = { ok: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 3 }), fc.constantFrom<1 | 2 | undefined>(1, 2, undefined), (x, v) => {
        seen[contract(parseCgroups, 'cgroups', x, { ...ctx, host: v === undefined ? {} : { cgroupVersion: v } })]++;
      }),
      { numRuns: 500 },
    );
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });
  it('a file set reads the same whatever was read before it (the parser remembers the last keys and paths only as a shortcut)', () => {
    const outcome = (x: unknown) => {
      try {
        return { samples: parseCgroups(x, ctx).map((s) => ({ ...s, stat: s.stat && { ...s.stat } })) };
      } catch (err) {
        if (!(err instanceof InvalidSnapshotError)) throw err;
        return { error: err.toJSON() };
      }
    };
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 3 }), fc.array(entry, { minLength: 1, maxLength: 3 }), (x, before) => {
        const alone = outcome(x);
        outcome(before);
        expect(outcome(x)).toEqual(alone);
        outcome(x);
        expect(outcome(x)).toEqual(alone);
      }),
      RUNS,
    );
  });
  it('memory.stat keys named __proto__/constructor stay data in a null-prototype map', () => {
    // keys that signal no cgroup v1 (cache, total_*), so a v2 file set stays consistent
    const key = fc.oneof(nastyKey, fc.stringMatching(/^[a-z_]{1,10}$/)).filter((k) => k !== 'cache' && !k.startsWith('total_'));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, fc.nat()), { selector: ([k]) => k, maxLength: 10 }), (kv) => {
        const stat = kv.map(([k, v]) => `${k} ${v}`).join('\n');
        const [s] = parseCgroups([{ path: '/x', files: { 'memory.stat': stat, 'memory.current': '10' } }], ctx);
        expect(s?.stat).not.toBeNull();
        expect(Object.getPrototypeOf(s!.stat)).toBeNull();
        expect(Object.keys(s!.stat!).sort()).toEqual(kv.map(([k]) => k).sort());
        for (const [k, v] of kv) expect(s!.stat![k]).toBe(v);
      }),
      RUNS,
    );
  });
});

describe('identity helpers never throw', () => {
  const pathLike = fc
    .array(
      fc.oneof(
        fc.constantFrom('kubepods', 'kubepods.slice', 'burstable', 'besteffort', 'kubepods-burstable.slice', 'pod', 'pod12_34', `docker-${'c'.repeat(64)}.scope`, 'crio-', '', '..', 'kubelet-kubepods.slice'),
        fc.string({ maxLength: 12 }),
      ),
      { maxLength: 7 },
    )
    .map((ps) => `/${ps.join('/')}`);
  it('parseCgroupPath: null or a well-formed identity', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), pathLike), (p) => {
        const r = parseCgroupPath(p);
        if (r !== null) {
          expect(r.podUid.length).toBeGreaterThan(0);
          expect(['guaranteed', 'burstable', 'besteffort']).toContain(r.qos);
          if (r.containerId !== null) expect(r.containerId).toMatch(/^[0-9a-f]{12,64}$/);
        }
      }),
      { numRuns: 1000 },
    );
  });
  it('parseDockershimName: null or non-empty parts with an integer attempt', () => {
    const nameLike = fc
      .array(fc.oneof(fc.constantFrom('k8s', 'POD', '0', '12', ''), fc.string({ maxLength: 8 })), { maxLength: 8 })
      .map((ps) => ps.join('_'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), nameLike), (n) => {
        const r = parseDockershimName(n);
        if (r !== null) {
          expect(Number.isInteger(r.attempt)).toBe(true);
          expect(r.isPause).toBe(r.container === 'POD');
        }
      }),
      { numRuns: 1000 },
    );
  });
  it('parseDockershimPrefix: null or whole Kubernetes names, a full name read as parseDockershimName reads it', () => {
    const nameLike = fc
      .array(fc.oneof(fc.constantFrom('k8s', 'POD', 'busybox', 'default', '<省略>', 'web-1.a', '-x', ''), fc.string({ maxLength: 8 })), { maxLength: 7 })
      .map((ps) => ps.join('_'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), nameLike), (n) => {
        const r = parseDockershimPrefix(n);
        if (r === null) return;
        expect(r.isPause).toBe(r.container === 'POD');
        if (r.pod !== null) expect(r.pod).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
        if (r.namespace !== null) expect(r.pod).not.toBeNull();
        const full = parseDockershimName(n);
        if (full && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(full.pod) && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(full.namespace)) {
          expect(r).toMatchObject({ container: full.container, pod: full.pod, namespace: full.namespace });
        }
      }),
      { numRuns: 1000 },
    );
  });
});

afterAll(() => {
  // nothing above may have reached Object.prototype
  const probe = {} as Record<string, unknown>;
  for (const k of ['anon', 'file', 'container', 'pod', 'polluted', 'oom_kill']) expect(probe[k]).toBeUndefined();
});
