import { describe, expect, it } from 'vitest';
import { matchSamples } from '../../src/analysis/match.js';
import { makeSample } from '../../src/model/sample.js';

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
