/**
 * A fake Kubernetes node for tests and the benchmark: a cgroup tree in a temp folder (v1 or v2,
 * cgroupfs or systemd naming), an HTTPS kubelet stand-in that checks the bearer token, and a
 * unix-socket server that answers like the Docker Engine API. The servers run in a child
 * process so a benchmark of the agent measures the agent's CPU and memory, not the fakes'.
 * Every number comes from the FakePod description: tests derive expectations from it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FakeContainer {
  /** Kubernetes container name; 'POD' for the pause container. */
  name: string;
  id: string;
  usage: number;
  anon: number;
  activeFile: number;
  inactiveFile: number;
  shmem: number;
  /** null = unlimited. */
  limit: number | null;
  oomKills?: number;
}

export interface FakePod {
  namespace: string;
  name: string;
  uid: string;
  qos: 'guaranteed' | 'burstable' | 'besteffort';
  containers: FakeContainer[];
}

export type CgroupFlavour = { version: 1 | 2; driver: 'cgroupfs' | 'systemd'; runtime?: 'docker' | 'cri-containerd' | 'crio' };

export function fakeId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** Relative cgroup paths (from the memory controller root) the kubelet would create. */
export function podCgroupPath(pod: FakePod, flavour: CgroupFlavour): string {
  if (flavour.driver === 'cgroupfs') return pod.qos === 'guaranteed' ? `/kubepods/pod${pod.uid}` : `/kubepods/${pod.qos}/pod${pod.uid}`;
  const uid = pod.uid.replace(/-/g, '_');
  return pod.qos === 'guaranteed' ? `/kubepods.slice/kubepods-pod${uid}.slice` : `/kubepods.slice/kubepods-${pod.qos}.slice/kubepods-${pod.qos}-pod${uid}.slice`;
}

export function containerCgroupPath(pod: FakePod, c: FakeContainer, flavour: CgroupFlavour): string {
  const base = podCgroupPath(pod, flavour);
  return flavour.driver === 'cgroupfs' ? `${base}/${c.id}` : `${base}/${flavour.runtime ?? 'cri-containerd'}-${c.id}.scope`;
}

const V1_UNLIMITED = '9223372036854771712';

function sumContainers(pod: FakePod): FakeContainer {
  const s = (f: (c: FakeContainer) => number): number => pod.containers.reduce((a, c) => a + f(c), 0);
  return {
    name: '',
    id: '',
    usage: s((c) => c.usage),
    anon: s((c) => c.anon),
    activeFile: s((c) => c.activeFile),
    inactiveFile: s((c) => c.inactiveFile),
    shmem: s((c) => c.shmem),
    limit: pod.containers.every((c) => c.name === 'POD' || c.limit !== null) ? s((c) => c.limit ?? 0) : null,
    oomKills: s((c) => c.oomKills ?? 0),
  };
}

/** cgroup files for one fake cgroup, in the kernel's own text format. */
export function cgroupFiles(c: FakeContainer, version: 1 | 2): Record<string, string> {
  const cache = c.activeFile + c.inactiveFile;
  if (version === 1) {
    const stat: [string, number][] = [
      ['cache', cache], ['rss', c.anon], ['shmem', c.shmem], ['mapped_file', 0], ['swap', 0],
      ['active_anon', c.anon], ['inactive_anon', 0], ['active_file', c.activeFile], ['inactive_file', c.inactiveFile],
      ['hierarchical_memory_limit', c.limit ?? Number(V1_UNLIMITED)],
      ['total_cache', cache], ['total_rss', c.anon], ['total_shmem', c.shmem], ['total_mapped_file', 0], ['total_swap', 0],
      ['total_active_anon', c.anon], ['total_inactive_anon', 0], ['total_active_file', c.activeFile], ['total_inactive_file', c.inactiveFile],
    ];
    return {
      'memory.stat': stat.map(([k, v]) => `${k} ${k === 'hierarchical_memory_limit' && c.limit === null ? V1_UNLIMITED : v}`).join('\n') + '\n',
      'memory.usage_in_bytes': `${c.usage}\n`,
      'memory.limit_in_bytes': `${c.limit ?? V1_UNLIMITED}\n`,
      'memory.max_usage_in_bytes': `${c.usage}\n`,
      'memory.failcnt': '0\n',
      'memory.oom_control': `oom_kill_disable 0\nunder_oom 0\noom_kill ${c.oomKills ?? 0}\n`,
      'memory.kmem.usage_in_bytes': `${c.usage - cache - c.anon}\n`,
    };
  }
  const stat: [string, number][] = [
    ['anon', c.anon], ['file', cache], ['kernel', c.usage - cache - c.anon], ['shmem', c.shmem], ['file_mapped', 0],
    ['active_anon', c.anon], ['inactive_anon', 0], ['active_file', c.activeFile], ['inactive_file', c.inactiveFile],
  ];
  return {
    'memory.stat': stat.map(([k, v]) => `${k} ${v}`).join('\n') + '\n',
    'memory.current': `${c.usage}\n`,
    'memory.max': c.limit === null ? 'max\n' : `${c.limit}\n`,
    'memory.swap.current': '0\n',
    'memory.events': `low 0\nhigh 0\nmax 0\noom ${c.oomKills ?? 0}\noom_kill ${c.oomKills ?? 0}\n`,
    'memory.peak': `${c.usage}\n`,
  };
}

/** Writes the host cgroup mount for `pods` under `root`; returns root (the `--cgroup-root`). */
export function writeCgroupTree(root: string, flavour: CgroupFlavour, pods: FakePod[]): string {
  const memRoot = flavour.version === 2 ? root : path.join(root, 'memory');
  mkdirSync(memRoot, { recursive: true });
  if (flavour.version === 2) writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
  const write = (rel: string, files: Record<string, string>): void => {
    const dir = path.join(memRoot, ...rel.split('/').filter(Boolean));
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  };
  // A non-pod sibling and a QoS parent with its own files, which the agent must not report.
  write(flavour.driver === 'cgroupfs' ? '/system' : '/system.slice/containerd.service', cgroupFiles(sumContainers({ namespace: '', name: '', uid: '', qos: 'guaranteed', containers: [] }), flavour.version));
  for (const pod of pods) {
    write(podCgroupPath(pod, flavour), cgroupFiles(sumContainers(pod), flavour.version));
    for (const c of pod.containers) write(containerCgroupPath(pod, c, flavour), cgroupFiles(c, flavour.version));
  }
  return root;
}

/** A Docker Engine API stats body in the shape of the recorded v1.24 example, with this container's numbers. */
export function dockerStatsBody(pod: FakePod, c: FakeContainer, version: 1 | 2, read: string): Record<string, unknown> {
  const cache = c.activeFile + c.inactiveFile;
  const stats: Record<string, number> =
    version === 1
      ? { cache, rss: c.anon, shmem: c.shmem, active_file: c.activeFile, inactive_file: c.inactiveFile, total_cache: cache, total_rss: c.anon, total_shmem: c.shmem, total_active_file: c.activeFile, total_inactive_file: c.inactiveFile, mapped_file: 0, total_mapped_file: 0 }
      : { anon: c.anon, file: cache, shmem: c.shmem, active_file: c.activeFile, inactive_file: c.inactiveFile, file_mapped: 0, kernel: c.usage - cache - c.anon };
  return {
    id: c.id,
    name: `/k8s_${c.name}_${pod.name}_${pod.namespace}_${pod.uid}_0`,
    read,
    preread: '0001-01-01T00:00:00Z',
    pids_stats: { current: 3 },
    memory_stats: { usage: c.usage, ...(version === 1 ? { max_usage: c.usage, failcnt: 0 } : {}), stats, limit: c.limit ?? 8_254_304_256 },
    blkio_stats: {},
    cpu_stats: { cpu_usage: { total_usage: 100215355, usage_in_kernelmode: 30000000, usage_in_usermode: 50000000 }, system_cpu_usage: 739306590000000, online_cpus: 4, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
  };
}

export interface TlsMaterial {
  cert: string;
  key: string;
  certFile: string;
}

/** Self-signed cert for 127.0.0.1 via the openssl CLI (P-256: fast to generate). */
export function selfSignedCert(dir: string): TlsMaterial {
  const keyFile = path.join(dir, 'kubelet.key');
  const certFile = path.join(dir, 'kubelet.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile };
}

export interface FakeServersConfig {
  token: string;
  tls: { cert: string; key: string };
  /** Body of GET /stats/summary (verbatim text). */
  summary: string;
  /** Body of GET /api/v1/nodes/<name> (API server stand-in), if any. */
  nodeObject?: string;
  dockerSocket?: string;
  dockerVersion?: string;
  /** Id → stats body text; /containers/json lists them in this order. */
  docker?: { id: string; name: string; stats: string }[];
}

export interface FakeServers {
  kubeletUrl: string;
  dockerSocket?: string;
  /** Requests the fakes served, as `<server> <status> <path>` lines (read after a capture). */
  log(): Promise<string[]>;
  close(): Promise<void>;
}

// Plain JS: it runs in a child `node -e`, outside the TypeScript build.
const SERVERS_SCRIPT = String.raw`
const fs = require('node:fs'); const http = require('node:http'); const https = require('node:https');
const cfg = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
const log = [];
const send = (res, status, body, name, p) => { log.push(name + ' ' + status + ' ' + p); res.writeHead(status, { 'content-type': 'application/json' }); res.end(body); };
const kubelet = https.createServer({ cert: cfg.tls.cert, key: cfg.tls.key }, (req, res) => {
  if (req.headers.authorization !== 'Bearer ' + cfg.token) return send(res, 401, '{"kind":"Status","code":401}', 'kubelet', req.url);
  if (req.url === '/stats/summary') return send(res, 200, cfg.summary, 'kubelet', req.url);
  if (cfg.nodeObject && req.url.startsWith('/api/v1/nodes/')) return send(res, 200, cfg.nodeObject, 'apiserver', req.url);
  send(res, 404, '{}', 'kubelet', req.url);
});
const byId = new Map((cfg.docker || []).map((c) => [c.id, c]));
const list = JSON.stringify((cfg.docker || []).map((c) => ({ Id: c.id, Names: [c.name], State: 'running' })));
const docker = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://docker');
  if (u.pathname === '/version') return send(res, 200, JSON.stringify({ Version: cfg.dockerVersion || '20.10.8', ApiVersion: '1.41' }), 'docker', req.url);
  if (u.pathname === '/containers/json') return send(res, 200, list, 'docker', req.url);
  const m = /^\/containers\/([0-9a-f]+)\/stats$/.exec(u.pathname);
  if (m && byId.has(m[1]) && u.searchParams.get('stream') === 'false') return send(res, 200, byId.get(m[1]).stats, 'docker', req.url);
  send(res, 404, '{"message":"No such container"}', 'docker', req.url);
});
process.on('message', (m) => { if (m === 'log') process.send({ log }); });
kubelet.listen(0, '127.0.0.1', () => {
  const ready = () => process.send({ port: kubelet.address().port });
  if (cfg.dockerSocket) { try { fs.unlinkSync(cfg.dockerSocket); } catch {} docker.listen(cfg.dockerSocket, ready); } else ready();
});
`;

export async function startFakeServers(config: FakeServersConfig): Promise<FakeServers> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memgap-fake-node-'));
  const cfgFile = path.join(dir, 'config.json');
  writeFileSync(cfgFile, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVERS_SCRIPT, cfgFile], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number }) => (m.port ? resolve(m.port) : reject(new Error('fake servers: bad start message'))));
    child.once('exit', (code) => reject(new Error(`fake servers exited with ${code}`)));
  });
  return {
    kubeletUrl: `https://127.0.0.1:${port}`,
    ...(config.dockerSocket ? { dockerSocket: config.dockerSocket } : {}),
    log: () =>
      new Promise((resolve) => {
        child.once('message', (m: { log: string[] }) => resolve(m.log));
        child.send('log');
      }),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A 110-pod node (the kubelet's default max-pods), pause + one app container each: the benchmark's fake host. */
export function syntheticPods(count: number): FakePod[] {
  const qos: FakePod['qos'][] = ['guaranteed', 'burstable', 'besteffort'];
  return Array.from({ length: count }, (_, i) => {
    const uid = `${fakeId(`pod-${i}`).slice(0, 8)}-0000-4000-8000-${fakeId(`pod-${i}`).slice(8, 20)}`;
    const mib = 1024 * 1024;
    return {
      namespace: `ns-${i % 7}`,
      name: `app-${i}`,
      uid,
      qos: qos[i % 3]!,
      containers: [
        { name: 'POD', id: fakeId(`pause-${i}`), usage: 700_416, anon: 331_776, activeFile: 0, inactiveFile: 0, shmem: 0, limit: null },
        { name: 'app', id: fakeId(`app-${i}`), usage: (50 + i) * mib, anon: (30 + i) * mib, activeFile: 10 * mib, inactiveFile: 8 * mib, shmem: mib, limit: i % 3 === 2 ? null : 512 * mib },
      ],
    };
  });
}

interface SummaryMemory {
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
}
interface SummaryPod {
  podRef: { name: string; namespace: string; uid: string };
  containers?: { name: string; memory?: SummaryMemory }[];
}

/**
 * Fake pods whose cgroup and Docker numbers agree with a kubelet /stats/summary: for each
 * container usage = usageBytes, inactive_file = usageBytes − workingSetBytes (the kubelet's own
 * formula run backwards), anon = rssBytes, active_file = workingSetBytes − rssBytes (the rest of
 * the working set), no kernel memory. Each pod also gets a pause container (the summary never
 * lists it) of 700416 bytes, 331776 of them anon, the rest kernel.
 */
export function podsFromSummary(summary: { pods?: SummaryPod[] }, qosOf: (pod: SummaryPod) => FakePod['qos'] = () => 'burstable'): FakePod[] {
  return (summary.pods ?? []).map((p) => ({
    namespace: p.podRef.namespace,
    name: p.podRef.name,
    uid: p.podRef.uid,
    qos: qosOf(p),
    containers: [
      { name: 'POD', id: fakeId(`pause/${p.podRef.uid}`), usage: 700_416, anon: 331_776, activeFile: 0, inactiveFile: 0, shmem: 0, limit: null },
      ...(p.containers ?? []).map((c) => {
        const usage = c.memory?.usageBytes ?? 0;
        const ws = c.memory?.workingSetBytes ?? 0;
        const anon = Math.min(c.memory?.rssBytes ?? 0, ws);
        return { name: c.name, id: fakeId(`${p.podRef.uid}/${c.name}`), usage, anon, activeFile: ws - anon, inactiveFile: usage - ws, shmem: 0, limit: null };
      }),
    ],
  }));
}
