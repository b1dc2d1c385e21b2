/**
 * Identity across sources (SPEC §1, DOMAIN §2.10-2.11, §4.9, §7): the kubelet knows pod uid +
 * container name, Docker knows ids and dockershim names, cgroup paths know pod uid + id,
 * Prometheus labels know names. Samples are joined on pod uid + container name, reached through
 * whichever clue a source has; what cannot be joined is kept, alone, with what it knows.
 */
import type { Identity, Sample, SourceKind } from '../model/sample.js';

export interface Entity {
  key: string;
  level: 'container' | 'pod';
  identity: Identity;
  bySource: Partial<Record<SourceKind, Sample>>;
}

interface ContainerRef {
  podUid: string;
  container: string | null;
  isPause: boolean;
}

const ID_PREFIX = 12;

export function matchSamples(samples: readonly Sample[]): Entity[] {
  const byId = new Map<string, ContainerRef>();
  const uidByName = new Map<string, string>();
  const podNames = new Map<string, { namespace: string; pod: string }>();

  for (const s of samples) {
    const id = s.identity;
    if (id.podUid && id.namespace && id.pod) {
      uidByName.set(`${id.namespace}/${id.pod}`, id.podUid);
      podNames.set(id.podUid, { namespace: id.namespace, pod: id.pod });
    }
    if (id.containerId && id.podUid && (id.container || id.isPause)) {
      byId.set(id.containerId.slice(0, ID_PREFIX), { podUid: id.podUid, container: id.isPause ? 'POD' : id.container, isPause: id.isPause });
    }
  }
  // A cgroup path gives uid + id; a name elsewhere gives uid + container: join those via the id.
  for (const s of samples) {
    const id = s.identity;
    if (id.containerId && id.podUid && !byId.has(id.containerId.slice(0, ID_PREFIX))) {
      byId.set(id.containerId.slice(0, ID_PREFIX), { podUid: id.podUid, container: id.isPause ? 'POD' : id.container, isPause: id.isPause });
    }
  }

  const entities = new Map<string, Entity>();
  for (const s of samples) {
    const id = s.identity;
    const level = id.level;
    if (level === 'node') continue;
    const ref = id.containerId ? byId.get(id.containerId.slice(0, ID_PREFIX)) : undefined;
    const podUid = id.podUid ?? (id.namespace && id.pod ? uidByName.get(`${id.namespace}/${id.pod}`) : undefined) ?? ref?.podUid ?? null;
    const isPause = id.isPause || (ref?.isPause ?? false);
    const container = id.container ?? ref?.container ?? (isPause ? 'POD' : null);

    let key: string;
    if (level === 'pod') {
      key = podUid ? `p:${podUid}` : id.namespace && id.pod ? `p:${id.namespace}/${id.pod}` : `p:?${id.cgroupPath ?? entities.size}`;
    } else if (podUid && container) key = `c:${podUid}/${container}`;
    else if (id.containerId) key = `id:${id.containerId.slice(0, ID_PREFIX)}`;
    else if (id.runtimeName) key = `name:${id.runtimeName}`;
    else if (id.namespace && id.pod && container) key = `c:${id.namespace}/${id.pod}/${container}`;
    else key = `?:${s.source}:${entities.size}`;

    let entity = entities.get(key);
    if (!entity) {
      entity = { key, level, identity: { ...id, level, podUid, container: id.level === 'pod' ? null : container, isPause, containerId: id.level === 'pod' ? null : id.containerId }, bySource: {} };
      entities.set(key, entity);
    }
    mergeIdentity(entity.identity, { ...id, podUid, container: id.level === 'pod' ? null : container, isPause });
    const names = podUid ? podNames.get(podUid) : undefined;
    if (names) {
      entity.identity.namespace ??= names.namespace;
      entity.identity.pod ??= names.pod;
    }
    // Two samples of one source for one container (a restarted container's old id): keep the newer.
    const previous = entity.bySource[s.source];
    if (!previous || (s.sampledAt && previous.sampledAt && s.sampledAt > previous.sampledAt)) entity.bySource[s.source] = s;
  }
  pairSoleCandidates(entities);
  return [...entities.values()];
}

/**
 * The kubelet summary names containers but gives no ids; a bare cgroup path gives an id but no
 * name. When a pod has exactly one of each (and nothing else unmatched), they are the same
 * container: joining them is what an SRE does by eye. Two or more of either stay apart.
 */
function pairSoleCandidates(entities: Map<string, Entity>): void {
  const perPod = new Map<string, { unnamed: Entity[]; named: Entity[] }>();
  for (const e of entities.values()) {
    const id = e.identity;
    if (e.level !== 'container' || id.isPause || !id.podUid) continue;
    const slot = perPod.get(id.podUid) ?? { unnamed: [], named: [] };
    if (id.container === null) slot.unnamed.push(e);
    else if (id.containerId === null) slot.named.push(e);
    perPod.set(id.podUid, slot);
  }
  for (const { unnamed, named } of perPod.values()) {
    if (unnamed.length !== 1 || named.length !== 1) continue;
    const [from, into] = [unnamed[0]!, named[0]!];
    mergeIdentity(into.identity, from.identity);
    for (const [source, sample] of Object.entries(from.bySource) as [SourceKind, Sample][]) into.bySource[source] ??= sample;
    entities.delete(from.key);
  }
  inferSandboxes(entities);
}

/**
 * CRI runtimes list only app containers (the sandbox is not a container to CRI, DOMAIN §2.11),
 * so the pause container shows up only as a cgroup with an id nobody names. When every app
 * container of the pod is already known by id, the one cgroup left over is the sandbox.
 */
function inferSandboxes(entities: Map<string, Entity>): void {
  const perPod = new Map<string, Entity[]>();
  for (const e of entities.values()) {
    if (e.level !== 'container' || !e.identity.podUid) continue;
    perPod.set(e.identity.podUid, [...(perPod.get(e.identity.podUid) ?? []), e]);
  }
  for (const members of perPod.values()) {
    if (members.some((m) => m.identity.isPause)) continue;
    const unnamed = members.filter((m) => m.identity.container === null);
    const named = members.filter((m) => m.identity.container !== null);
    if (unnamed.length === 1 && named.length > 0 && named.every((m) => m.identity.containerId !== null)) {
      unnamed[0]!.identity.isPause = true;
      unnamed[0]!.identity.container = 'POD';
    }
  }
}

function mergeIdentity(into: Identity, from: Identity): void {
  into.namespace ??= from.namespace;
  into.pod ??= from.pod;
  into.podUid ??= from.podUid;
  if (into.level === 'container') {
    into.container ??= from.container;
    if (from.containerId && (!into.containerId || from.containerId.length > into.containerId.length)) into.containerId = from.containerId;
  }
  into.runtimeName ??= from.runtimeName;
  into.cgroupPath ??= from.cgroupPath;
  into.isPause ||= from.isPause;
}
