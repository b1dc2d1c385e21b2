import fc from 'fast-check';
// @ts-expect-error -- CJS package without type declarations
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { plainSampleLine } from '../../../src/sources/prometheus.js';

type LibFamily = { name: string; metrics: { value?: string; labels?: Record<string, string>; timestamp_ms?: string }[] };
const lib = (line: string) => (parsePrometheusTextFormat as (t: string) => LibFamily[])(`${line}\n`);

const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/);
// Values with the characters that make tokenising hard: spaces, commas, equals, braces, quotes, backslashes.
const labelValue = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', ',', '=', '{', '}', '"', '\\', '/', '-', '.', 'é'), maxLength: 12 });
const value = fc.oneof(fc.integer({ min: 0, max: 2 ** 53 }).map(String), fc.double({ noNaN: true }).map(String), fc.constantFrom('+Inf', 'NaN', '1e3', '-0'));
const line = fc
  .record({
    name,
    labels: fc.array(fc.tuple(labelName, labelValue), { maxLength: 5 }),
    value,
    ts: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }).map(String)),
    sep: fc.constantFrom(' ', '\t', '  '),
    trailingComma: fc.boolean(),
  })
  .map(({ name, labels, value, ts, sep, trailingComma }) => {
    const body = labels.map(([k, v]) => `${k}="${v}"`).join(',') + (trailingComma && labels.length ? ',' : '');
    return `${name}${labels.length ? `{${body}}` : ''}${sep}${value}${ts === null ? '' : `${sep}${ts}`}`;
  });

describe('plainSampleLine: the fast path agrees with the exposition-format package', () => {
  it('on every line it accepts (and it accepts the plain kubelet shape)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(line, (text) => {
        const fast = plainSampleLine(text);
        if (fast === null) return;
        accepted++;
        const families = lib(text);
        expect(families).toHaveLength(1);
        const m = families[0]!.metrics[0]!;
        expect(fast.name).toBe(families[0]!.name);
        expect({ ...fast.labels }).toEqual(m.labels ?? {});
        expect(fast.value).toBe(m.value);
        expect(fast.timestamp).toBe(m.timestamp_ms ?? null);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(200);
  });

  it('reads the real kubelet shape and declines escapes', () => {
    const real = 'container_memory_working_set_bytes{container="",id="/kubepods/burstable/podda59f36e-a7a8-46ed-8d9d-36392eb967d4",image="",name="",namespace="kube-system",pod="coredns-7d764666f9-9hn7l"} 1.6986112e+07 1766763934313';
    expect(plainSampleLine(real)).toMatchObject({ name: 'container_memory_working_set_bytes', value: '1.6986112e+07', timestamp: '1766763934313' });
    expect(plainSampleLine('m{a="x\\"y"} 1')).toBeNull();
    expect(plainSampleLine('m{a="1",a="2"} 1')).toBeNull();
    expect(plainSampleLine('m 1 2 3')).toBeNull();
  });

  it('with a label-block cache, answers as without one, line after line', () => {
    const cache = new Map();
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (texts) => {
        // Each line twice, and the first again at the end, so cached blocks are looked up, plain or not.
        for (const text of [...texts, ...texts, texts[0]!]) {
          const cached = plainSampleLine(text, cache);
          const fresh = plainSampleLine(text);
          expect(cached === null ? null : { ...cached, labels: { ...cached.labels } }).toEqual(fresh === null ? null : { ...fresh, labels: { ...fresh.labels } });
        }
      }),
      { numRuns: 300 },
    );
    expect(cache.size).toBeGreaterThan(0);
  });
});
