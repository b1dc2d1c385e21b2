import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCgroupPath, parseDockershimName, parseDockershimPrefix } from '../../../src/sources/identity.js';

const real = (f: string): string => readFileSync(new URL(`../../fixtures/real/${f}`, import.meta.url), 'utf8');
const ID = '7cf2b443c99a25906e647b04b57505c66f75eddc7964ebe2c2cb7e8aec3c818a';

describe('parseDockershimName', () => {
  it('reads app and sandbox names from the 1.18 fixture', () => {
    expect(parseDockershimName('k8s_busybox_e2e-statefulset-0_scraper_b9232e2b-7e34-4ee5-85a2-a684ff8b0e85_0')).toEqual({
      container: 'busybox',
      pod: 'e2e-statefulset-0',
      namespace: 'scraper',
      podUid: 'b9232e2b-7e34-4ee5-85a2-a684ff8b0e85',
      attempt: 0,
      isPause: false,
    });
    expect(parseDockershimName('k8s_POD_kube-scheduler-minikube_kube-system_d12e497b0008e22acbcd5a9cf2dd48ac_0')).toMatchObject({
      container: 'POD',
      pod: 'kube-scheduler-minikube',
      podUid: 'd12e497b0008e22acbcd5a9cf2dd48ac',
      isPause: true,
    });
  });

  it('every name="k8s_…" label of the 1.18 capture parses, and agrees with its pod/namespace labels', () => {
    const text = real('kubelet-metrics-cadvisor_k8s-1.18_memory-lines.prom');
    const rows = [...text.matchAll(/container="([^"]*)",id="[^"]*",image="[^"]*",name="(k8s_[^"]+)",namespace="([^"]*)",pod="([^"]*)"/g)];
    expect(rows.length).toBeGreaterThan(0);
    for (const [, container, name, namespace, pod] of rows) {
      expect(parseDockershimName(name!)).toMatchObject({ container, namespace, pod });
    }
  });

  it('tolerates the Engine API leading slash and the randomizeName suffix; attempt is a number', () => {
    expect(parseDockershimName('/k8s_app_web-1_default_0123_3')?.attempt).toBe(3);
    expect(parseDockershimName('k8s_app_web-1_default_0123_2_a1b2c3d4')?.container).toBe('app');
  });

  it('returns null for non-dockershim names', () => {
    for (const n of ['', 'nginx', 'k8s_', 'k8s_a_b_c_d', 'k8s_a_b_c_d_x', 'k8s__b_c_d_0', 'K8S_a_b_c_d_0', 'k8s_a_b_c_d_0_r_extra', ID]) {
      expect(parseDockershimName(n)).toBeNull();
    }
  });
});

describe('parseCgroupPath', () => {
  it('cgroupfs: guaranteed, burstable, besteffort; pod and container cgroups (1.35 fixture ids)', () => {
    expect(parseCgroupPath('/kubepods/burstable/podda59f36e-a7a8-46ed-8d9d-36392eb967d4')).toEqual({
      qos: 'burstable',
      podUid: 'da59f36e-a7a8-46ed-8d9d-36392eb967d4',
      containerId: null,
      runtime: null,
      driver: 'cgroupfs',
    });
    expect(parseCgroupPath(`/kubepods/besteffort/pod081d040e-c94b-41ea-8278-eb12903ddd99/${ID}`)).toMatchObject({ qos: 'besteffort', containerId: ID });
    expect(parseCgroupPath(`/kubepods/pod0f0f/${ID}`)).toMatchObject({ qos: 'guaranteed', podUid: '0f0f', containerId: ID });
  });

  it('every kubepods id in the 1.35 capture is classified as its depth says', () => {
    const ids = new Set([...real('kubelet-metrics-cadvisor_k8s-1.35_memory-lines.prom').matchAll(/id="([^"]*)"/g)].map((m) => m[1]!));
    for (const id of ids) {
      const segs = id.split('/').filter(Boolean);
      const p = parseCgroupPath(id);
      const podIdx = segs.findIndex((s) => s.startsWith('pod'));
      if (segs[0] !== 'kubepods' || podIdx < 0) expect(p, id).toBeNull();
      else if (podIdx === segs.length - 1) expect(p?.containerId, id).toBeNull();
      else expect(p?.containerId, id).toBe(segs[segs.length - 1]);
    }
  });

  it('systemd: dashes restored in the uid, docker/cri-containerd/crio scopes (1.18 fixture)', () => {
    const p = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd12e497b0008e22acbcd5a9cf2dd48ac.slice/docker-${ID}.scope`;
    expect(parseCgroupPath(p)).toEqual({ qos: 'burstable', podUid: 'd12e497b0008e22acbcd5a9cf2dd48ac', containerId: ID, runtime: 'docker', driver: 'systemd' });
    expect(
      parseCgroupPath('/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3f541c3f_b181_443d_bf25_42ddf2468884.slice'),
    ).toMatchObject({ qos: 'besteffort', podUid: '3f541c3f-b181-443d-bf25-42ddf2468884', containerId: null });
    expect(parseCgroupPath(`/kubepods.slice/kubepods-pod473d52d2_22f7_4bb5_92fe_ee980f2e7946.slice/crio-${ID}.scope`)).toMatchObject({
      qos: 'guaranteed',
      runtime: 'crio',
    });
    // the kubelet's own extractIDFromCgroupPath example
    expect(
      parseCgroupPath(
        '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2fc932ce_fdcc_454b_97bd_aadfdeb4c340.slice/cri-containerd-aaefb9d8feed2d453b543f6d928cede7a4dbefa6a0ae7c9b990dd234c56e93b9.scope',
      ),
    ).toMatchObject({ podUid: '2fc932ce-fdcc-454b-97bd-aadfdeb4c340', runtime: 'cri-containerd', containerId: 'aaefb9d8feed2d453b543f6d928cede7a4dbefa6a0ae7c9b990dd234c56e93b9' });
  });

  it('accepts the controller mount prefixes of v1 and v2', () => {
    expect(parseCgroupPath(`/sys/fs/cgroup/memory/kubepods/burstable/pod1234/${ID}`)?.containerId).toBe(ID);
    expect(parseCgroupPath('/sys/fs/cgroup/kubepods.slice/kubepods-pod12_34.slice')?.podUid).toBe('12-34');
  });

  it('CRI-O on cgroupfs names the container cgroup crio-<id> (fix: was rejected)', () => {
    expect(parseCgroupPath(`/kubepods/besteffort/pod1234/crio-${ID}`)).toMatchObject({ containerId: ID, runtime: 'crio', driver: 'cgroupfs' });
    expect(parseCgroupPath(`/kubepods/besteffort/pod1234/crio-conmon-${ID}`)).toBeNull();
  });

  it('a kubelet --cgroup-root prefix on systemd slices (kind: kubelet.slice/kubelet-kubepods.slice) (fix: was rejected)', () => {
    const p = `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod0a1b_2c3d.slice/cri-containerd-${ID}.scope`;
    expect(parseCgroupPath(p)).toMatchObject({ qos: 'besteffort', podUid: '0a1b-2c3d', containerId: ID });
    expect(parseCgroupPath('/kubelet/kubepods/burstable/podab12')).toMatchObject({ podUid: 'ab12', driver: 'cgroupfs' });
    // the prefix must be the same on every slice
    expect(parseCgroupPath('/kubelet.slice/kubelet-kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b.slice')).toBeNull();
  });

  it('returns null for anything that is not a pod or container cgroup', () => {
    for (const p of [
      '/',
      '',
      '/kubepods',
      '/kubepods/burstable',
      '/kubepods.slice',
      '/kubepods.slice/kubepods-burstable.slice',
      '/system.slice/docker.service',
      '/system.slice/kubelet.service',
      '/kubepods/burstable/pod',
      `/kubepods/burstable/pod12/${ID}/extra`,
      '/kubepods/burstable/pod12/not-an-id',
      // qos of the pod slice must match its parent
      '/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod12.slice',
      `/kubepods.slice/kubepods-pod12.slice/containerd-${ID}.scope`,
      `/docker/${ID}`,
    ]) {
      expect(parseCgroupPath(p), p).toBeNull();
    }
  });
});

describe('parseDockershimPrefix (a dockershim name cut short by hand)', () => {
  it.each([
    // the seed article: the pod name survives, the namespace was replaced by <省略>
    ['k8s_POD_busybox_<省略>', { container: 'POD', pod: 'busybox', namespace: null, isPause: true }],
    ['k8s_web_web-0_shop', { container: 'web', pod: 'web-0', namespace: 'shop', isPause: false }],
    ['/k8s_web_web-0_shop_4f1c', { container: 'web', pod: 'web-0', namespace: 'shop', isPause: false }],
    // cut inside the pod name with an ellipsis: the pod is not a whole name any more
    ['k8s_POD_busyb…', { container: 'POD', pod: null, namespace: null, isPause: true }],
  ])('%s', (name, want) => {
    expect(parseDockershimPrefix(name)).toEqual(want);
  });
  it.each(['k8s_POD', 'nginx', 'k8s__x', 'k8s_Web_x', 'k9s_POD_busybox'])('%s → null', (name) => {
    expect(parseDockershimPrefix(name)).toBeNull();
  });
});
