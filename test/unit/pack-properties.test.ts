/**
 * Property tests for the parsers `memgap pack` added: on arbitrary input each returns a value
 * or its typed failure (a `{ok: false, reason}` result, or InvalidSnapshotError for the capture
 * source parsers) — never another exception. Inputs: arbitrary strings and JSON, token soups
 * made of the words these outputs contain, and the realistic pastes of test/fixtures/pasted
 * with random lines dropped, duplicated or cut.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSnapshotError } from '../../src/errors.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { Sample } from '../../src/model/sample.js';
import { parseDockerInfoJson, parseDockerInfoText, parseDockerVersionJson, parseDockerVersionText, sameVersion } from '../../src/sources/docker-version.js';
import { parseByteQuantity, parseKubectlNodes, parseKubectlTop, parseKubectlVersion, parseMetricsApi } from '../../src/sources/kubectl.js';
import { commandKind, decodeText, jsonValues, recognizeFile, splitMultiFile, splitTerminalPaste } from '../../src/sources/recognize.js';

const DIR = path.resolve('test/fixtures/pasted');
const PASTES = readdirSync(DIR)
  .filter((f) => f !== 'README.md' && statSync(path.join(DIR, f)).isFile())
  .map((f) => readFileSync(path.join(DIR, f), 'utf8'));
const ctx = { capturedAt: new Date('2026-11-27T00:00:00Z'), host: {}, limits: { ...DEFAULT_LIMITS, maxContainers: 50 } };

const WORDS = [
  'Client:', 'Server:', ' Engine:', ' Version:', '  Version:', '18.06.1-ce', '24.0.7', 'v1.28.2', 'Client Version:', 'Server Version:', 'version.Info{GitVersion:"v1.17.0"}',
  'clientVersion:', '  gitVersion:', 'Cgroup Driver:', 'Cgroup Version:', 'systemd', 'cgroupfs', '2', 'Kernel Version:', 'NAME', 'POD', 'NAMESPACE', 'CPU(cores)', 'CPU%',
  'MEMORY(bytes)', 'MEMORY%', '101Mi', '0m', '<unknown>', '____', '$', '#', '[root@n ~]#', 'docker', 'stats', 'kubectl', 'top', 'pod', '-n', '|', 'grep', 'cat', '/sys/fs/cgroup/memory.stat',
  'CONTAINER ID', 'MEM USAGE / LIMIT', '620KiB / 7.69GiB', 'cache 1', 'total_inactive_file 8192', '{', '}', '[', ']', '"kind": "PodMetrics"', '"apiVersion": "metrics.k8s.io/v1beta1"', '\t', ' ', '\n', '\r\n',
];
const soup = fc.array(fc.constantFrom(...WORDS), { maxLength: 60 }).map((w) => w.join(''));
const lines = fc.array(fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }).map((w) => w.join(' ')), { maxLength: 20 }).map((l) => l.join('\n'));
const mutatedPaste = fc
  .tuple(fc.constantFrom(...PASTES), fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'cut', 'space')), { maxLength: 6 }))
  .map(([text, edits]) => {
    const ls = text.split('\n');
    for (const [at, op] of edits) {
      const i = ls.length === 0 ? 0 : at % ls.length;
      if (op === 'drop') ls.splice(i, 1);
      else if (op === 'dup') ls.splice(i, 0, ls[i] ?? '');
      else if (op === 'cut') ls[i] = (ls[i] ?? '').slice(0, at % 17);
      else ls[i] = `${ls[i] ?? ''}   `;
    }
    return ls.join('\n');
  });
const anyText = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }), soup, lines, mutatedPaste);
const anyJson = fc.oneof(fc.jsonValue(), fc.anything(), mutatedPaste.map((t) => {
  try {
    return JSON.parse(t.slice(t.indexOf('{'))) as unknown;
  } catch {
    return t;
  }
}));

function isResult(r: unknown): boolean {
  const x = r as { ok: unknown; value?: unknown; reason?: unknown };
  return x.ok === true ? 'value' in x : x.ok === false && typeof x.reason === 'string' && x.reason.length > 0;
}

function samplesOrTyped(run: () => unknown[], source: string): void {
  try {
    for (const s of run()) Sample.parse(s);
  } catch (err) {
    if (!(err instanceof InvalidSnapshotError)) throw err;
    expect(err.source).toBe(source);
    expect(err.reason.length).toBeGreaterThan(0);
  }
}

describe('hand-collected text parsers never crash', () => {
  it('docker version / info, text and JSON', () => {
    fc.assert(
      fc.property(anyText, anyJson, (text, json) => {
        expect(isResult(parseDockerVersionText(text))).toBe(true);
        expect(isResult(parseDockerInfoText(text))).toBe(true);
        expect(isResult(parseDockerVersionJson(json))).toBe(true);
        expect(isResult(parseDockerInfoJson(json))).toBe(true);
        expect(typeof sameVersion(text.slice(0, 30), text.slice(30, 60))).toBe('boolean');
      }),
      { numRuns: 400 },
    );
  });

  it('kubectl version, text or JSON', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, anyJson), (input) => {
        expect(isResult(parseKubectlVersion(input))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('node listings (get nodes -o wide, describe node, -o json) and multi-file outputs: a value or null', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, anyJson), fc.uint8Array({ maxLength: 64 }), (input, bytes) => {
        const nodes = parseKubectlNodes(input);
        if (nodes !== null) for (const n of nodes) expect(typeof n.name).toBe('string');
        if (typeof input === 'string') {
          const files = splitMultiFile(input);
          if (files !== null) for (const f of files) expect(typeof f.text).toBe('string');
          const values = jsonValues(input);
          expect(values === null || Array.isArray(values)).toBe(true);
        }
        expect(typeof decodeText(bytes)).toBe('string');
      }),
      { numRuns: 400 },
    );
  });

  it('Kubernetes byte quantities: a whole number of bytes or a reason', () => {
    const quantity = fc.tuple(fc.stringMatching(/^\d{0,20}(\.\d{0,20})?$/), fc.constantFrom('', 'Ki', 'Mi', 'Gi', 'Ei', 'k', 'M', 'E', 'm', 'e3', 'e-2', 'E+18', 'x')).map(([n, u]) => n + u);
    fc.assert(
      fc.property(fc.oneof(quantity, fc.string({ maxLength: 40 })), (q) => {
        const r = parseByteQuantity(q);
        expect(isResult(r)).toBe(true);
        if (r.ok) expect(Number.isSafeInteger(r.value) && r.value >= 0).toBe(true);
      }),
      { numRuns: 600 },
    );
  });

  it('kubectl top tables (capture source): samples or InvalidSnapshotError', () => {
    fc.assert(
      fc.property(fc.oneof(anyText.map((text) => [{ text }]), anyText.map((text) => [{ text, namespace: 'default' }]), anyJson), (input) => {
        samplesOrTyped(() => parseKubectlTop(input, ctx), 'kubectlTop');
      }),
      { numRuns: 400 },
    );
  });

  it('metrics.k8s.io objects (capture source): samples or InvalidSnapshotError', () => {
    const podMetrics = fc.record({
      kind: fc.constantFrom('PodMetrics', 'PodMetricsList', 'NodeMetrics', 'NodeMetricsList', 'Pod'),
      apiVersion: fc.constantFrom('metrics.k8s.io/v1beta1', 'v1'),
      metadata: fc.oneof(fc.record({ name: fc.string({ maxLength: 10 }), namespace: fc.string({ maxLength: 10 }) }), fc.anything()),
      timestamp: fc.oneof(fc.constant('2026-11-27T09:13:51Z'), fc.string({ maxLength: 25 })),
      containers: fc.oneof(fc.array(fc.record({ name: fc.string({ maxLength: 8 }), usage: fc.record({ memory: fc.oneof(fc.constant('44916Ki'), fc.string({ maxLength: 12 })) }) }), { maxLength: 3 }), fc.anything()),
      usage: fc.record({ memory: fc.oneof(fc.constant('2048Mi'), fc.string({ maxLength: 12 })) }),
      items: fc.oneof(fc.constant([]), fc.anything()),
    }, { requiredKeys: ['kind', 'apiVersion'] });
    fc.assert(
      fc.property(fc.oneof(fc.array(podMetrics, { maxLength: 3 }), anyJson), (input) => {
        samplesOrTyped(() => parseMetricsApi(input, ctx), 'metricsApi');
      }),
      { numRuns: 400 },
    );
  });

  it('terminal pastes, command lines and whole-file recognition', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const segments = splitTerminalPaste(text);
        for (const s of segments) {
          expect(typeof s.body).toBe('string');
          if (s.command !== null) commandKind(s.command);
        }
        const k = commandKind(text.slice(0, 300));
        expect(k === null || typeof k.kind === 'string').toBe(true);
        for (const r of recognizeFile(text)) {
          expect(['source', 'facts', 'cgroupFile', 'skip']).toContain(r.result.kind);
          if (r.result.kind === 'skip') expect(r.result.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
