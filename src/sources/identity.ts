/**
 * Identity clues hidden in names and paths: dockershim container names and kubelet cgroup paths.
 * Citations: dockershim naming.go (container names), kubelet pkg/kubelet/cm (pod cgroup paths),
 * kubelet extractIDFromCgroupPath (container ids in cgroup paths).
 */

export interface DockershimName {
  container: string; // 'POD' for the sandbox (pause) container
  pod: string;
  namespace: string;
  podUid: string;
  attempt: number;
  isPause: boolean;
}

/**
 * `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>[_<random>]` (makeContainerName /
 * makeSandboxName; the parser tolerates the 7th random suffix of randomizeName). Kubernetes
 * names never contain `_`, so splitting on it is exact. A leading `/` (Engine API) is ignored.
 */
export function parseDockershimName(name: string): DockershimName | null {
  const trimmed = name.startsWith('/') ? name.slice(1) : name;
  const parts = trimmed.split('_');
  if (parts[0] !== 'k8s' || (parts.length !== 6 && parts.length !== 7)) return null;
  const [, container, pod, namespace, podUid, attemptText] = parts as [string, string, string, string, string, string];
  if (!container || !pod || !namespace || !podUid || !/^\d+$/.test(attemptText)) return null;
  return { container, pod, namespace, podUid, attempt: Number(attemptText), isPause: container === 'POD' };
}

/** Kubernetes object names: a container and a namespace are DNS labels, a pod a DNS subdomain. */
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * What a dockershim name cut short by hand still tells (the seed article prints
 * `k8s_POD_busybox_<省略>`): the leading fields that are still whole, valid Kubernetes names.
 * `null` unless the name starts `k8s_<container>_`; the pod and namespace only while valid.
 */
export function parseDockershimPrefix(name: string): { container: string; pod: string | null; namespace: string | null; isPause: boolean } | null {
  const parts = (name.startsWith('/') ? name.slice(1) : name).split('_');
  if (parts[0] !== 'k8s' || parts.length < 3) return null;
  const container = parts[1]!;
  if (container !== 'POD' && !DNS_LABEL.test(container)) return null;
  const pod = DNS_SUBDOMAIN.test(parts[2]!) ? parts[2]! : null;
  const namespace = pod !== null && parts.length > 3 && DNS_LABEL.test(parts[3]!) ? parts[3]! : null;
  return { container, pod, namespace, isPause: container === 'POD' };
}

export interface CgroupPathIdentity {
  qos: 'guaranteed' | 'burstable' | 'besteffort';
  podUid: string;
  /** Runtime container id; null for the pod cgroup itself. */
  containerId: string | null;
  runtime: 'docker' | 'cri-containerd' | 'crio' | null;
  driver: 'cgroupfs' | 'systemd';
}

const HEX_ID = /^[0-9a-f]{12,64}$/;
/** CRI-O's cgroupfs manager names a container cgroup `crio-<id>` (cri-o internal/config/cgmgr/cgroupfs_linux.go). */
const CRIO_CGROUPFS = /^crio-([0-9a-f]{12,64})$/;
const SCOPE = /^(docker|cri-containerd|crio)-([0-9a-f]{12,64})\.scope$/;
const SLICE_ROOT = /^((?:[a-z0-9]+-)*)kubepods\.slice$/;

/**
 * Parses a pod or container cgroup path, with or without the controller mount prefix
 * (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup`):
 *   cgroupfs: /kubepods[/burstable|/besteffort]/pod<uid>[/<id> | /crio-<id>]
 *   systemd:  /kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid_>.slice[/<runtime>-<id>.scope]
 * With a kubelet `--cgroup-root` the systemd slices carry its prefix (`kubelet.slice/kubelet-kubepods.slice/
 * kubelet-kubepods-<qos>.slice/…`, as on kind nodes); the cgroupfs root is then `/kubelet/kubepods/…`.
 * Anything else (QoS parents, system services, extra path segments) is not a pod cgroup: null.
 */
export function parseCgroupPath(path: string): CgroupPathIdentity | null {
  const parts = path.split('/').filter((p) => p.length > 0);
  const root = parts.findIndex((p) => p === 'kubepods' || SLICE_ROOT.test(p));
  if (root < 0) return null;
  const rest = parts.slice(root + 1);
  if (parts[root] === 'kubepods') {
    let qos: CgroupPathIdentity['qos'] = 'guaranteed';
    if (rest[0] === 'burstable' || rest[0] === 'besteffort') qos = rest.shift() as 'burstable' | 'besteffort';
    const podPart = rest.shift();
    if (!podPart?.startsWith('pod') || podPart.length <= 3) return null;
    const idPart = rest.shift() ?? null;
    if (rest.length > 0) return null;
    const podUid = podPart.slice(3);
    if (idPart === null) return { qos, podUid, containerId: null, runtime: null, driver: 'cgroupfs' };
    if (HEX_ID.test(idPart)) return { qos, podUid, containerId: idPart, runtime: null, driver: 'cgroupfs' };
    const crio = CRIO_CGROUPFS.exec(idPart);
    if (crio) return { qos, podUid, containerId: crio[1]!, runtime: 'crio', driver: 'cgroupfs' };
    return null;
  }
  const prefix = SLICE_ROOT.exec(parts[root]!)![1]!;
  const strip = (p: string | undefined): string | null => (p !== undefined && p.startsWith(`${prefix}kubepods`) ? p.slice(prefix.length) : null);
  let qos: CgroupPathIdentity['qos'] = 'guaranteed';
  const qosSlice = /^kubepods-(burstable|besteffort)\.slice$/.exec(strip(rest[0]) ?? '');
  if (qosSlice) {
    qos = qosSlice[1] as 'burstable' | 'besteffort';
    rest.shift();
  }
  const podSlice = /^kubepods(?:-(burstable|besteffort))?-pod([0-9A-Za-z_]+)\.slice$/.exec(strip(rest.shift()) ?? '');
  if (!podSlice || (podSlice[1] ?? 'guaranteed') !== qos) return null;
  const scopePart = rest.shift() ?? null;
  if (rest.length > 0) return null;
  const podUid = podSlice[2]!.replace(/_/g, '-');
  if (scopePart === null) return { qos, podUid, containerId: null, runtime: null, driver: 'systemd' };
  const scope = SCOPE.exec(scopePart);
  if (!scope) return null;
  return { qos, podUid, containerId: scope[2]!, runtime: scope[1] as CgroupPathIdentity['runtime'], driver: 'systemd' };
}
