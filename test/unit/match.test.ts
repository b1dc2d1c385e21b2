import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchSamples } from '../../src/analysis/match.js';
import { discrepancyRows } from '../../src/analysis/discrepancy.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { CaptureBundle } from '../../src/model/bundle.js';
import { makeSample, type Sample } from '../../src/model/sample.js';
import { parseCaptureSources } from '../../src/sources/index.js';
import { formatHumanBytes } from '../../src/sources/human-units.js';

const MiB = 1024 * 1024;

const UID = '0f1e2d3c-aaaa-bbbb-cccc-000000000001';
const APP = 'a'.repeat(64);
const SANDBOX = 'b'.repeat(64);

describe('identity across sources', () => {
  it('joins a docker CLI row (12-char id + dockershim name) with the cgroup (full id) and the kubelet (name)', () => {
    const entities = matchSamples([
      makeSample('kubelet', { identity: { level: 'container', namespace: 'web', pod: 'nginx-1', podUid: UID, container: 'nginx' } }),
      makeSample('docker-cli', { identity: { level: 'container', containerId: APP.slice(0, 12), runtimeName: `k8s_nginx_nginx-1_web_${UID}_0`, namespace: 'web', pod: 'nginx-1', podUid: UID, container: 'nginx' } }),
      makeSample('cgroup', { identity: { level: 'container', podUid: UID, containerId: APP, cgroupPath: `/kubepods/burstable/pod${UID}/${APP}` } }),
    ]);
    expect(entities).toHaveLength(1);
    const e = entities[0]!;
    expect(Object.keys(e.bySource).sort()).toEqual(['cgroup', 'docker-cli', 'kubelet']);
    expect(e.identity).toMatchObject({ namespace: 'web', pod: 'nginx-1', container: 'nginx', containerId: APP }); // the longest id wins
  });

  it('resolves a pod uid from namespace/pod names (Prometheus labels carry no uid)', () => {
    const entities = matchSamples([
      makeSample('kubelet', { identity: { level: 'container', namespace: 'web', pod: 'nginx-1', podUid: UID, container: 'nginx' } }),
      makeSample('kubelet-resource', { identity: { level: 'container', namespace: 'web', pod: 'nginx-1', container: 'nginx' } }),
    ]);
    expect(entities).toHaveLength(1);
    expect(entities[0]!.identity.podUid).toBe(UID);
  });

  it('under CRI, the one cgroup left unnamed once every app container is known by id is the sandbox', () => {
    const entities = matchSamples([
      makeSample('crictl', { identity: { level: 'container', namespace: 'web', pod: 'nginx-1', podUid: UID, container: 'nginx', containerId: APP } }),
      makeSample('cgroup', { identity: { level: 'container', podUid: UID, containerId: APP } }),
      makeSample('cgroup', { identity: { level: 'container', podUid: UID, containerId: SANDBOX } }),
    ]);
    const sandbox = entities.find((e) => e.identity.containerId === SANDBOX)!;
    expect(sandbox.identity).toMatchObject({ isPause: true, container: 'POD' });
    expect(entities.find((e) => e.identity.containerId === APP)!.identity.container).toBe('nginx');
  });

  it('leaves two unnamed cgroups apart when nothing says which is which', () => {
    const entities = matchSamples([
      makeSample('kubelet', { identity: { level: 'container', namespace: 'web', pod: 'nginx-1', podUid: UID, container: 'nginx' } }),
      makeSample('cgroup', { identity: { level: 'container', podUid: UID, containerId: APP } }),
      makeSample('cgroup', { identity: { level: 'container', podUid: UID, containerId: SANDBOX } }),
    ]);
    expect(entities).toHaveLength(3);
    expect(entities.filter((e) => e.identity.isPause)).toHaveLength(0);
  });

  it('a name cut short by hand (k8s_POD_busybox_<省略>) joins its pod when no other namespace has a pod of that name', () => {
    const kubeletApp = makeSample('kubelet', { identity: { level: 'container', namespace: 'default', pod: 'busybox', podUid: UID, container: 'busybox' } });
    const cut = makeSample('docker-cli', { identity: { level: 'container', containerId: 'db369d0c34bd', runtimeName: 'k8s_POD_busybox_<省略>', pod: 'busybox', container: 'POD', isPause: true } });
    const joined = matchSamples([kubeletApp, cut]).find((e) => e.bySource['docker-cli'])!;
    expect(joined.identity).toMatchObject({ podUid: UID, namespace: 'default', pod: 'busybox', container: 'POD', isPause: true });
    // a second `busybox` pod in another namespace: the cut name no longer says which
    const other = makeSample('kubelet', { identity: { level: 'container', namespace: 'test', pod: 'busybox', podUid: '0f1e2d3c-aaaa-bbbb-cccc-000000000002', container: 'busybox' } });
    const apart = matchSamples([kubeletApp, other, cut]).find((e) => e.bySource['docker-cli'])!;
    expect(apart.identity.podUid).toBeNull();
  });

  it('keeps what cannot be matched, with what it knows', () => {
    const entities = matchSamples([makeSample('docker-cli', { identity: { level: 'container', containerId: 'c0ffee123456', runtimeName: 'nginx' } })]);
    expect(entities).toHaveLength(1);
    expect(entities[0]!.identity).toMatchObject({ containerId: 'c0ffee123456', runtimeName: 'nginx', podUid: null });
  });

  it('keeps the newer sample of a source when a restarted container shows twice', () => {
    const old = makeSample('kubelet', { sampledAt: new Date('2026-11-27T00:00:00Z'), identity: { level: 'container', podUid: UID, container: 'nginx' }, memory: { workingSet: 1 } });
    const fresh = makeSample('kubelet', { sampledAt: new Date('2026-11-27T00:00:10Z'), identity: { level: 'container', podUid: UID, container: 'nginx' }, memory: { workingSet: 2 } });
    const [e] = matchSamples([fresh, old]);
    expect(e!.bySource.kubelet!.memory.workingSet).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Ids that share a 12-character prefix but differ in full (issue: a 110-pod capture lost every
// kubectl top figure and flagged every container pause-container). The capture is generated in
// the raw formats the agent and a user collect, and goes through the source parsers.

const PODS = 110;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const uidOf = (i: number) => `4f1c2d3e-0000-4000-8000-${hex(i, 12)}`;
const LIMIT = 256 * MiB;

interface Generated {
  bundle: CaptureBundle;
  appId: (i: number) => string;
  pauseId: (i: number) => string;
  /** app container i: rss (20 + i % 7) MiB, active_file 3 MiB, inactive_file 1 MiB, no shmem */
  rss: (i: number) => number;
}

/**
 * @param prefixOf the first 12 characters of container k's id (k = 2i for pod i's app, 2i + 1 for its pause)
 * @param withEngineApi whether the Engine API stats (full id + dockershim name) were collected
 */
function generate(prefixOf: (k: number) => string, withEngineApi: boolean): Generated {
  const idOf = (k: number) => prefixOf(k) + hex(k, 52);
  const appId = (i: number) => idOf(2 * i);
  const pauseId = (i: number) => idOf(2 * i + 1);
  const rss = (i: number) => (20 + (i % 7)) * MiB;
  const at = '2026-11-30T06:00:00Z';
  const stat = (r: number, active: number, inactive: number) => {
    const cache = active + inactive;
    const keys: Record<string, number> = { cache, rss: r, shmem: 0, mapped_file: 0, inactive_file: inactive, active_file: active, hierarchical_memory_limit: LIMIT, total_cache: cache, total_rss: r, total_shmem: 0, total_inactive_file: inactive, total_active_file: active };
    return { keys, text: Object.entries(keys).map(([k, v]) => `${k} ${v}\n`).join(''), usage: r + cache };
  };
  const pods = [];
  const cgroups = [];
  const apiStats = [];
  const table = ['$ docker stats --no-stream', 'CONTAINER ID   NAME                                                          CPU %     MEM USAGE / LIMIT     MEM %     NET I/O       BLOCK I/O     PIDS'];
  for (let i = 0; i < PODS; i++) {
    const uid = uidOf(i);
    const app = stat(rss(i), 3 * MiB, MiB);
    const pause = stat(40_960, 0, 0);
    pods.push({
      podRef: { name: `web-${i}`, namespace: 'shop', uid },
      containers: [{ name: 'web', memory: { time: at, usageBytes: app.usage, workingSetBytes: app.usage - MiB, rssBytes: rss(i), availableBytes: LIMIT - (app.usage - MiB) } }],
    });
    for (const [id, s] of [[appId(i), app], [pauseId(i), pause]] as const) {
      cgroups.push({ path: `/kubepods/burstable/pod${uid}/${id}`, files: { 'memory.stat': s.text, 'memory.usage_in_bytes': `${s.usage}\n`, 'memory.limit_in_bytes': `${LIMIT}\n` } });
    }
    for (const [id, name, s] of [[appId(i), `k8s_web_web-${i}_shop_${uid}_0`, app], [pauseId(i), `k8s_POD_web-${i}_shop_${uid}_0`, pause]] as const) {
      apiStats.push({ id, name: `/${name}`, read: at, memory_stats: { usage: s.usage, limit: LIMIT, stats: s.keys } });
      // Docker 18.06 prints usage − cache (= rss here) with BytesSize
      table.push(`${id.slice(0, 12)}   ${name}   0.00%     ${formatHumanBytes(s.usage - s.keys.cache!)} / 256MiB   1.00%     0B / 0B       0B / 0B       1`);
    }
  }
  const bundle = CaptureBundle.parse({
    schema: 'memgap.capture/v1',
    cluster: 'prod',
    node: 'node-07',
    capturedAt: at,
    host: { dockerVersion: '18.06.3-ce', cgroupVersion: 1 },
    sources: {
      kubeletSummary: { node: { nodeName: 'node-07' }, pods },
      cgroups,
      dockerStatsTable: table.join('\n') + '\n',
      ...(withEngineApi ? { dockerApiStats: apiStats } : {}),
    },
  });
  return { bundle, appId, pauseId, rss };
}

function analyse(g: Generated) {
  const capturedAt = new Date(g.bundle.capturedAt);
  const { samples, errors } = parseCaptureSources(g.bundle, { capturedAt, host: g.bundle.host ?? {}, limits: DEFAULT_LIMITS });
  expect(errors).toEqual([]);
  return discrepancyRows(samples, { capturedAt, node: g.bundle.node, host: g.bundle.host ?? {} });
}

describe('ids that share a 12-character prefix but differ in full', () => {
  it('110 pods, every id starting c0ffee5eed00: joined by full id, every kubectl top figure kept, only the pause containers flagged', () => {
    const g = generate(() => 'c0ffee5eed00', true);
    const rows = analyse(g);
    const apps = rows.filter((r) => r.level === 'container' && r.container === 'web');
    const pauses = rows.filter((r) => r.level === 'container' && r.container === 'POD');
    expect(apps).toHaveLength(PODS);
    expect(pauses).toHaveLength(PODS);
    // nothing left over: 110 pods × (app + pause) container rows + 110 pod rows
    expect(rows).toHaveLength(3 * PODS);
    for (let i = 0; i < PODS; i++) {
      const r = apps.find((x) => x.pod === `web-${i}`)!;
      expect(r.container_id).toBe(g.appId(i));
      expect(r.flags).not.toContain('pause-container');
      expect(r.flags).not.toContain('ambiguous-id');
      // kubectl top = the summary's working set = usage − inactive = rss + 3 MiB
      expect(r.kubectl_top_bytes).toBe(g.rss(i) + 3 * MiB);
      // docker stats printed rss (e.g. 20 MiB → "20MiB", exact): gap = 3 MiB of active page cache
      expect(r.docker_stats_bytes).toBe(g.rss(i));
      expect(r.gap_page_cache_bytes).toBe(3 * MiB);
      expect(r.cause).toBe('page-cache');
      expect(r.limit_bytes).toBe(LIMIT); // the cgroup joined too
      const p = pauses.find((x) => x.pod === `web-${i}`)!;
      expect(p.container_id).toBe(g.pauseId(i));
      expect(p.flags).toContain('pause-container');
    }
  });

  it('a prefix shared across pods, not within one: its pod singles out the full id even without the Engine API', () => {
    // every app id starts a1a1a1a1a1a1, every pause id b2b2b2b2b2b2
    const g = generate((k) => (k % 2 === 0 ? 'a1a1a1a1a1a1' : 'b2b2b2b2b2b2'), false);
    const rows = analyse(g);
    expect(rows).toHaveLength(3 * PODS);
    const r = rows.find((x) => x.level === 'container' && x.pod === 'web-42' && x.container === 'web')!;
    expect(r.container_id).toBe(g.appId(42));
    expect(r.flags).not.toContain('ambiguous-id');
    // rss 42 % 7 = 0 → 20 MiB; top 23 MiB; usage 24 MiB from the cgroup
    expect(r.kubectl_top_bytes).toBe(23 * MiB);
    expect(r.usage_bytes).toBe(24 * MiB);
    expect(rows.filter((x) => x.flags.includes('pause-container'))).toHaveLength(PODS);
  });

  it('a docker stats id that starts both containers of its pod is kept apart and flagged, never attached', () => {
    // No Engine API: nothing says which of the pod's two cgroups (app, pause) the 12-char id means.
    const g = generate(() => 'c0ffee5eed00', false);
    const rows = analyse(g);
    const r = rows.find((x) => x.level === 'container' && x.pod === 'web-0' && x.container === 'web')!;
    // joined with the kubelet by its dockershim name, not with a cgroup by the id
    expect(r.flags).toContain('ambiguous-id');
    expect(r.kubectl_top_bytes).toBe(23 * MiB);
    expect(r.docker_stats_bytes).toBe(20 * MiB);
    // no cgroup joined: no page cache figure, nothing from memory.stat (usage and rss come from the kubelet)
    expect(r.cache_bytes).toBeNull();
    expect(r.gap_page_cache_bytes).toBeNull();
    expect(r.flags).not.toContain('pause-container');
    // the two cgroups stay apart, each with its own full id
    const loose = rows.filter((x) => x.level === 'container' && x.pod === 'web-0' && x.container === null);
    expect(loose.map((x) => x.container_id).sort()).toEqual([g.appId(0), g.pauseId(0)].sort());
  });
});

describe('short ids on their own', () => {
  it('two cgroups whose full ids share 12 characters are two containers', () => {
    const a = 'c0ffee5eed00' + '1'.repeat(52);
    const b = 'c0ffee5eed00' + '2'.repeat(52);
    const entities = matchSamples([
      makeSample('cgroup', { identity: { level: 'container', containerId: a, cgroupPath: `/docker/${a}` } }),
      makeSample('cgroup', { identity: { level: 'container', containerId: b, cgroupPath: `/docker/${b}` } }),
      makeSample('docker-cli', { identity: { level: 'container', containerId: 'c0ffee5eed00', runtimeName: 'web' } }),
    ]);
    expect(entities).toHaveLength(3);
    expect(entities.filter((e) => e.ambiguousId).map((e) => e.identity.runtimeName)).toEqual(['web']);
    expect(entities.find((e) => e.identity.containerId === a)!.bySource['docker-cli']).toBeUndefined();
  });

  it('a short id that starts exactly one full id is that container', () => {
    const a = 'c0ffee5eed00' + '1'.repeat(52);
    const entities = matchSamples([
      makeSample('cgroup', { identity: { level: 'container', containerId: a } }),
      makeSample('docker-cli', { identity: { level: 'container', containerId: 'c0ffee5eed00', runtimeName: 'web' } }),
    ]);
    expect(entities).toHaveLength(1);
    expect(entities[0]!).toMatchObject({ ambiguousId: false, identity: { containerId: a, runtimeName: 'web' } });
  });
});

describe('property: matching never merges what the full ids keep apart', () => {
  // Few prefixes and few pods, so that 12-character prefixes collide often.
  const prefixArb = fc.constantFrom('c0ffee5eed00', 'c0ffee5eed01', 'abcdefabcdef');
  const containerArb = fc.record({
    prefix: prefixArb,
    pod: fc.integer({ min: 0, max: 3 }),
    name: fc.constantFrom('web', 'sidecar', 'POD'),
    cli: fc.boolean(), // also a docker stats row (12-char id, dockershim name or a bare name)
    shimName: fc.boolean(),
    api: fc.boolean(), // also an Engine API response (full id + name)
  });
  it('no entity holds two different full ids; a docker stats row is joined to a cgroup only when its id starts that cgroup id', () => {
    fc.assert(
      fc.property(fc.array(containerArb, { minLength: 1, maxLength: 12 }), (cs) => {
        const samples: Sample[] = [];
        const seen = new Set<string>();
        cs.forEach((c, k) => {
          const full = c.prefix + hex(k, 52);
          const uid = uidOf(c.pod);
          const key = `${c.pod}/${c.name}`;
          const unique = !seen.has(key); // one container of a name per pod, as Kubernetes has it
          seen.add(key);
          const shim = `k8s_${c.name}_p${c.pod}_ns_${uid}_0`;
          samples.push(makeSample('cgroup', { identity: { level: 'container', podUid: uid, containerId: full, cgroupPath: `/kubepods/pod${uid}/${full}` } }));
          if (c.api && unique) samples.push(makeSample('docker-api', { identity: { level: 'container', containerId: full, runtimeName: shim, podUid: uid, namespace: 'ns', pod: `p${c.pod}`, container: c.name, isPause: c.name === 'POD' } }));
          if (c.cli && unique) {
            const identity = c.shimName
              ? { level: 'container' as const, containerId: full.slice(0, 12), runtimeName: shim, podUid: uid, namespace: 'ns', pod: `p${c.pod}`, container: c.name, isPause: c.name === 'POD' }
              : { level: 'container' as const, containerId: full.slice(0, 12), runtimeName: `bare-${k}` };
            samples.push(makeSample('docker-cli', { identity }));
          }
        });
        for (const e of matchSamples(samples)) {
          const ids = Object.values(e.bySource).map((s) => s!.identity.containerId).filter((id): id is string => id !== null);
          const fulls = new Set(ids.filter((id) => id.length === 64));
          expect(fulls.size).toBeLessThanOrEqual(1);
          // every shorter id of the entity is a prefix of its full id
          const [f] = [...fulls];
          if (f) for (const id of ids) expect(f.startsWith(id)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
