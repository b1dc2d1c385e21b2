/**
 * Identity across sources: the kubelet knows pod uid + container
 * name, Docker knows ids and dockershim names, cgroup paths know pod uid + id, Prometheus labels
 * know names. Samples are joined on pod uid + container name, reached through whichever clue a
 * source has; what cannot be joined is kept, alone, with what it knows. Container ids join by
 * full id: a 12-character prefix stands for a full id only when it starts exactly one (or its
 * pod and name single one out); an ambiguous one is never attached (Entity.ambiguousId).
 */
import type { Identity, Sample, SourceKind } from '../model/sample.js';

export interface Entity {
  key: string;
  level: 'container' | 'pod';
  identity: Identity;
  bySource: Partial<Record<SourceKind, Sample>>;
  /**
   * A sample of this entity carried a short container id (docker's 12 characters) that starts
   * several full ids of the capture, none singled out by its pod or name: it was not attached to
   * any of them (flag `ambiguous-id`).
   */
  ambiguousId: boolean;
}

interface ContainerRef {
  podUid: string | null;
  container: string | null;
  isPause: boolean;
}

/**
 * For every id the capture holds, the full ids it may stand for: itself when no longer id starts
 * with it, else every longest id that does (docker prints 12 characters, cgroup paths, crictl and
 * the Engine API carry all 64). Ids that differ in full are different containers, whatever prefix
 * they share. Sorting puts every id right before the ids it is a prefix of.
 */
function fullIdsOf(samples: readonly Sample[]): Map<string, string[]> {
  const ids = new Set<string>();
  let length = -1;
  let oneLength = true;
  for (const s of samples) {
    const id = s.identity.containerId;
    if (!id || s.identity.level !== 'container') continue;
    ids.add(id);
    if (length === -1) length = id.length;
    else if (id.length !== length) oneLength = false;
  }
  const out = new Map<string, string[]>();
  // The usual capture: every source gave full ids (all 64 characters). Distinct ids of one length
  // are never prefixes of one another, so each stands for itself and nothing needs sorting.
  if (oneLength) {
    for (const id of ids) out.set(id, [id]);
    return out;
  }
  const sorted = [...ids].sort();
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    const full: string[] = [];
    for (let j = i; j < sorted.length && sorted[j]!.startsWith(x); j++) {
      const next = sorted[j + 1];
      if (next === undefined || !next.startsWith(sorted[j]!)) full.push(sorted[j]!);
    }
    out.set(x, full);
  }
  return out;
}

export function matchSamples(samples: readonly Sample[]): Entity[] {
  const uidByName = new Map<string, string>();
  const podNames = new Map<string, { namespace: string; pod: string }>();
  // A pod name without its namespace (a dockershim name cut short by hand): only a name no two
  // namespaces share in the capture says which pod.
  const uidsByPod = new Map<string, Set<string>>();
  for (const s of samples) {
    const id = s.identity;
    if (id.podUid && id.namespace && id.pod) {
      uidByName.set(`${id.namespace}/${id.pod}`, id.podUid);
      podNames.set(id.podUid, { namespace: id.namespace, pod: id.pod });
      const uids = uidsByPod.get(id.pod);
      if (uids) uids.add(id.podUid);
      else uidsByPod.set(id.pod, new Set([id.podUid]));
    }
  }
  const uidOfPodAlone = (pod: string): string | undefined => {
    const uids = uidsByPod.get(pod);
    return uids?.size === 1 ? [...uids][0] : undefined;
  };
  const uidOf = (id: Identity): string | null =>
    id.podUid ?? (id.pod ? (id.namespace ? uidByName.get(`${id.namespace}/${id.pod}`) : uidOfPodAlone(id.pod)) : undefined) ?? null;

  // What each full id is: a cgroup path gives uid + id, a name elsewhere gives uid + container,
  // joined where a sample's id stands for exactly one full id. Ids that start several full ids are
  // resolved after the others, by their pod and name, and then tell what they know too.
  const fullIds = fullIdsOf(samples);
  const refs = new Map<string, ContainerRef>();
  const learn = (full: string, id: Identity) => {
    const ref = refs.get(full) ?? { podUid: null, container: null, isPause: false };
    ref.podUid ??= uidOf(id);
    ref.container ??= id.isPause ? 'POD' : id.container;
    ref.isPause ||= id.isPause;
    refs.set(full, ref);
  };
  const short: Sample[] = [];
  for (const s of samples) {
    const id = s.identity;
    if (!id.containerId || id.level !== 'container') continue;
    const full = fullIds.get(id.containerId)!;
    if (full.length === 1) learn(full[0]!, id);
    else short.push(s);
  }

  /**
   * The full id a sample's id stands for: the only one it starts; else the only one its pod and
   * container name agree with (a docker stats row names its container); else none: ambiguous.
   */
  // The full ids a short id starts, by the pod each belongs to (null: pod unknown), built once per
  // short id: a table of 220 rows that all print the same 12 characters stays linear.
  const byPod = new Map<string, Map<string | null, string[]>>();
  const candidatesIn = (shortId: string, podUid: string | null): readonly string[] => {
    const all = fullIds.get(shortId)!;
    if (podUid === null) return all;
    let pods = byPod.get(shortId);
    if (!pods) {
      pods = new Map();
      for (const c of all) {
        const u = refs.get(c)?.podUid ?? null;
        const list = pods.get(u);
        if (list) list.push(c);
        else pods.set(u, [c]);
      }
      byPod.set(shortId, pods);
    }
    return [...(pods.get(podUid) ?? []), ...(pods.get(null) ?? [])];
  };
  const resolve = (id: Identity): { full: string | null; ambiguous: boolean } => {
    if (!id.containerId || id.level !== 'container') return { full: null, ambiguous: false };
    const all = fullIds.get(id.containerId)!;
    if (all.length === 1) return { full: all[0]!, ambiguous: false };
    const podUid = uidOf(id);
    const container = id.isPause ? 'POD' : id.container;
    const agree = (want: string | null, have: string | null | undefined) => want === null || have === null || have === undefined || want === have;
    const consistent = candidatesIn(id.containerId, podUid).filter((c) => agree(container, refs.get(c)?.container));
    if (consistent.length === 1) return { full: consistent[0]!, ambiguous: false };
    const named = container === null ? [] : consistent.filter((c) => refs.get(c)?.container === container);
    if (named.length === 1) return { full: named[0]!, ambiguous: false };
    return { full: null, ambiguous: true };
  };
  const resolved = new Map<Sample, ReturnType<typeof resolve>>();
  for (const s of short) resolved.set(s, resolve(s.identity));
  for (const [s, r] of resolved) if (r.full) learn(r.full, s.identity);

  const entities = new Map<string, Entity>();
  for (const s of samples) {
    const id = s.identity;
    const level = id.level;
    if (level === 'node') continue;
    const { full, ambiguous } = resolved.get(s) ?? resolve(id);
    const ref = full ? refs.get(full) : undefined;
    const podUid = uidOf(id) ?? ref?.podUid ?? null;
    const isPause = id.isPause || (ref?.isPause ?? false);
    const container = id.container ?? ref?.container ?? (isPause ? 'POD' : null);

    let key: string;
    if (level === 'pod') {
      key = podUid ? `p:${podUid}` : id.namespace && id.pod ? `p:${id.namespace}/${id.pod}` : `p:?${id.cgroupPath ?? entities.size}`;
    } else if (podUid && container) key = `c:${podUid}/${container}`;
    else if (full) key = `id:${full}`;
    else if (id.runtimeName) key = `name:${id.runtimeName}`;
    else if (id.namespace && id.pod && container) key = `c:${id.namespace}/${id.pod}/${container}`;
    else key = `?:${s.source}:${entities.size}`;

    let entity = entities.get(key);
    if (!entity) {
      entity = { key, level, identity: { ...id, level, podUid, container: id.level === 'pod' ? null : container, isPause, containerId: id.level === 'pod' ? null : id.containerId }, bySource: {}, ambiguousId: false };
      entities.set(key, entity);
    }
    entity.ambiguousId ||= ambiguous;
    mergeIdentity(entity.identity, id, podUid, id.level === 'pod' ? null : container, isPause);
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
    into.ambiguousId ||= from.ambiguousId;
    for (const [source, sample] of Object.entries(from.bySource) as [SourceKind, Sample][]) into.bySource[source] ??= sample;
    entities.delete(from.key);
  }
  inferSandboxes(entities);
}

/**
 * CRI runtimes list only app containers (the sandbox is not a container to CRI),
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

/**
 * Fills what `into` does not know from `from`; podUid, container and isPause may be given as
 * resolved by the caller instead of `from`'s own (no copy of `from` per sample to say so).
 */
function mergeIdentity(into: Identity, from: Identity, podUid = from.podUid, container = from.container, isPause = from.isPause): void {
  into.namespace ??= from.namespace;
  into.pod ??= from.pod;
  into.podUid ??= podUid;
  if (into.level === 'container') {
    into.container ??= container;
    if (from.containerId && (!into.containerId || from.containerId.length > into.containerId.length)) into.containerId = from.containerId;
  }
  into.runtimeName ??= from.runtimeName;
  into.cgroupPath ??= from.cgroupPath;
  into.isPause ||= isPause;
}
