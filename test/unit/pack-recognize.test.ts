import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { parseDockerStatsTable } from '../../src/sources/docker-cli.js';
import { parseKubectlTop } from '../../src/sources/kubectl.js';
import { commandKind, decodeText, matchPrompt, parseCommandLine, recognizeFile, splitTerminalPaste, type Recognition } from '../../src/sources/recognize.js';

const PASTED = path.resolve('test/fixtures/pasted');
const read = (f: string) => readFileSync(path.join(PASTED, f), 'utf8');
const ctx = { capturedAt: new Date('2026-11-27T00:00:00Z'), host: {}, limits: DEFAULT_LIMITS };

function only(text: string): Recognition {
  const all = recognizeFile(text);
  expect(all).toHaveLength(1);
  return all[0]!.result;
}

describe('shell prompts', () => {
  it.each([
    ['[root@node02 ~]# docker stats --no-stream | grep harbor', '[root@node02 ~]#', 'docker stats --no-stream | grep harbor'],
    ['[ec2-user@ip-192-168-12-34 ~]$ sudo docker version', '[ec2-user@ip-192-168-12-34 ~]$', 'sudo docker version'],
    ['root@worker-1:~# cat /sys/fs/cgroup/memory/kubepods/memory.stat', 'root@worker-1:~#', 'cat /sys/fs/cgroup/memory/kubepods/memory.stat'],
    ['ubuntu@ip-10-0-1-11:/sys/fs/cgroup$ cat memory.stat', 'ubuntu@ip-10-0-1-11:/sys/fs/cgroup$', 'cat memory.stat'],
    ['$ cat memory.stat', '$', 'cat memory.stat'],
    ['$ kubetl top po', '$', 'kubetl top po'],
    ['bash-4.2# docker info', 'bash-4.2#', 'docker info'],
    ['/ # cat /sys/fs/cgroup/memory/memory.stat', '/ #', 'cat /sys/fs/cgroup/memory/memory.stat'],
    ['# docker stats --no-stream', '#', 'docker stats --no-stream'],
    ['[root@node02 ~]# ', '[root@node02 ~]#', ''],
  ])('%s', (line, prompt, command) => {
    expect(matchPrompt(line)).toEqual({ prompt, command });
  });

  it.each(['# HELP container_memory_rss Size of RSS in bytes.', '# TYPE container_memory_rss gauge', 'cache 105865216', 'CONTAINER ID        NAME', '  "memory": {', 'Client:', ' Version:           18.06.1-ce'])(
    'not a prompt: %s',
    (line) => {
      expect(matchPrompt(line)).toBeNull();
    },
  );

  it('cuts a paste at each prompt line; the trailing bare prompt ends the last segment', () => {
    const text = '[root@n ~]# docker version\nClient:\n Version: 18.06.1-ce\n[root@n ~]# cat memory.stat   \ncache 1\n[root@n ~]# \n';
    const segs = splitTerminalPaste(text);
    expect(segs.map((s) => [s.command, s.firstLine])).toEqual([
      ['docker version', 2],
      ['cat memory.stat', 5],
    ]);
    expect(segs[1]!.body).toBe('cache 1');
  });
});

describe('command lines', () => {
  it('skips sudo, env assignments and redirections; keeps pipes', () => {
    expect(parseCommandLine('sudo -E DOCKER_HOST=unix:///run/docker.sock /usr/bin/docker stats --no-stream 2>/dev/null | grep harbor')).toEqual({
      program: 'docker',
      args: ['stats', '--no-stream'],
      pipes: [['grep', 'harbor']],
    });
  });

  it('names what the output is', () => {
    expect(commandKind('docker -H unix:///var/run/docker.sock version')).toEqual({ kind: 'docker-version' });
    expect(commandKind('docker system info')).toEqual({ kind: 'docker-info' });
    expect(commandKind(`docker stats --no-stream --format "{{.Name}}\\t{{.MemUsage}}"`)).toEqual({ kind: 'docker-stats', format: '{{.Name}}\\t{{.MemUsage}}', filtered: false });
    expect(commandKind('kubectl -n kube-system top pod --containers')).toEqual({ kind: 'kubectl-top', what: 'pod', namespace: 'kube-system', allNamespaces: false, containers: true, noHeaders: false });
    expect(commandKind('k top no')).toMatchObject({ kind: 'kubectl-top', what: 'node' });
    expect(commandKind('kubectl get --raw /apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busybox')).toEqual({ kind: 'kubectl-raw', path: '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busybox' });
    expect(commandKind('kubectl describe node n1')).toEqual({ kind: 'other', program: 'kubectl', text: 'kubectl describe node n1' });
  });
});

describe('recognition by content', () => {
  it('a docker stats paste starting with [root@…]# is a table, not broken JSON', () => {
    const r = only(read('seed-article/docker-stats.txt'));
    expect(r).toMatchObject({ kind: 'source', key: 'dockerStatsTable' });
  });

  it('docker stats | grep: rows without a header get the default header back, and parse', () => {
    const r = only(read('docker-stats_grep-no-header.txt'));
    expect(r).toMatchObject({ kind: 'source', key: 'dockerStatsTable' });
    expect((r as { note: string }).note).toMatch(/no header.*pipe/);
    const samples = parseDockerStatsTable((r as { value: string }).value, ctx);
    expect(samples.map((s) => [s.identity.runtimeName, s.reported?.text])).toEqual([
      ['k8s_harbor-core_harbor-core-7d8f9c6b5-x2x9q_harbor_0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b_0', '41.91MiB'],
      ['k8s_harbor-jobservice_harbor-jobservice-5b6c7d8e9-q4w5e_harbor_1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d_3', '26.57MiB'],
    ]);
    // %.4g of MiB: 41.91MiB = 41.91 × 2^20 bytes, ± half of 0.01 MiB
    expect(samples[0]!.reported!.bytes).toBeCloseTo(41.91 * 1048576, 6);
    expect(samples[0]!.reported!.uncertaintyBytes).toBeCloseTo(0.005 * 1048576, 6);
  });

  it('docker stats with a headerless --format template gets the template fields as header', () => {
    const text = `$ docker stats --no-stream --format "{{.Name}}\\t{{.MemUsage}}"\nk8s_app_web-0_shop_0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b_0\t196KiB / 7.69GiB\n`;
    const r = only(text);
    expect(r).toMatchObject({ kind: 'source', key: 'dockerStatsTable' });
    const samples = parseDockerStatsTable((r as { value: string }).value, ctx);
    expect(samples[0]!.reported!.bytes).toBe(196 * 1024);
  });

  it('docker stats JSON as jq prints it (one object over many lines), and rows of an old CLI without a header', () => {
    const lines = readFileSync(path.resolve('test/fixtures/real/docker-stats-format-json_docs-example.jsonl'), 'utf8').trim().split('\n');
    const jq = lines.map((l) => JSON.stringify(JSON.parse(l), null, 2)).join('\n');
    const r = only(`$ docker stats --no-stream --format '{{json .}}' | jq .\n${jq}\n`);
    expect(r).toMatchObject({ kind: 'source', key: 'dockerStats' });
    expect((r as { value: string[] }).value).toEqual(lines.map((l) => JSON.stringify(JSON.parse(l))));
    // Docker 1.12 (no NAME column; go-units put a space before the unit): 13 cells once glued.
    const old = only('# docker stats --no-stream | grep 4f3a2b1c0d9e\n4f3a2b1c0d9e        0.12%               495.2 MB / 2.097 GB   23.61%              648 B / 648 B       0 B / 0 B           31\n');
    expect(old).toMatchObject({ kind: 'source', key: 'dockerStatsTable', note: expect.stringContaining('CONTAINER CPU % MEM USAGE / LIMIT') });
  });

  it('docker version, text of three eras and JSON: the client version (the CLI computes docker stats)', () => {
    expect(only(read('docker-version_18.06_amzn2.txt'))).toMatchObject({ kind: 'facts', facts: [{ key: 'dockerVersion', value: '18.06.1-ce' }] });
    expect(only(read('docker-version_24.0_community.txt'))).toMatchObject({ kind: 'facts', facts: [{ key: 'dockerVersion', value: '24.0.7' }] });
    expect(only(read('docker-version_1.13_rhel.txt'))).toMatchObject({ kind: 'facts', facts: [{ key: 'dockerVersion', value: '1.13.1' }] });
    expect(only(read('docker-version_json.txt'))).toMatchObject({
      kind: 'facts',
      facts: [
        { key: 'dockerVersion', value: '20.10.25' },
        { key: 'kernel', value: '5.10.210-201.852.amzn2.x86_64' },
      ],
    });
  });

  it('docker version with a client newer than the daemon says whose formula counts', () => {
    const text = 'Client:\n Version:           19.03.13\n API version:       1.38 (downgraded from 1.40)\n\nServer:\n Engine:\n  Version:          18.06.1-ce\n';
    const r = only(text);
    expect(r).toMatchObject({ kind: 'facts', facts: [{ key: 'dockerVersion', value: '19.03.13' }] });
    expect((r as { note: string }).note).toMatch(/client 19\.03\.13, daemon 18\.06\.1-ce/);
  });

  it('docker info text (old and 20.10+ layouts) and JSON: driver, cgroup version, kernel; the daemon version only fills', () => {
    expect(only(read('docker-info_18.06_amzn2.txt'))).toEqual({
      kind: 'facts',
      what: 'docker info',
      facts: [
        { key: 'dockerVersion', value: '18.06.1-ce', weak: true },
        { key: 'cgroupDriver', value: 'cgroupfs' },
        { key: 'kernel', value: '4.14.165-133.209.amzn2.x86_64' },
      ],
    });
    expect(only(read('docker-info_24.0_ubuntu.txt'))).toMatchObject({
      facts: [
        { key: 'dockerVersion', value: '24.0.7' },
        { key: 'cgroupDriver', value: 'systemd' },
        { key: 'cgroupVersion', value: 2 },
        { key: 'kernel', value: '5.15.0-91-generic' },
      ],
    });
    const json = JSON.stringify({ ID: 'x', Containers: 3, ServerVersion: '20.10.25', CgroupDriver: 'systemd', CgroupVersion: '2', KernelVersion: '6.1.66-91.160.amzn2023.x86_64', Name: 'ip-10-0-1-11' });
    expect(only(`$ docker info --format '{{json .}}'\n${json}\n`)).toMatchObject({ facts: [{ key: 'dockerVersion' }, { key: 'cgroupDriver', value: 'systemd' }, { key: 'cgroupVersion', value: 2 }, { key: 'kernel' }] });
  });

  it('kubectl version: old version.Info text, new text, yaml and JSON', () => {
    const facts = (r: Recognition) => (r.kind === 'facts' ? Object.fromEntries(r.facts.map((f) => [f.key, f.value])) : r);
    expect(facts(only(read('kubectl-version_1.17-client_1.14-eks.txt')))).toEqual({ kubectlVersion: 'v1.17.0', apiServerVersion: 'v1.14.9-eks-c0eccc' });
    expect(facts(only('$ kubectl version\nClient Version: v1.28.2\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\nServer Version: v1.28.3-eks-4f4795d\n'))).toEqual({ kubectlVersion: 'v1.28.2', apiServerVersion: 'v1.28.3-eks-4f4795d' });
    expect(facts(only('clientVersion:\n  buildDate: "2023-09-13T09:35:06Z"\n  gitVersion: v1.28.2\n  major: "1"\nkustomizeVersion: v5.0.4\nserverVersion:\n  gitVersion: v1.27.7-gke.1056000\n  major: "1"\n'))).toEqual({
      kubectlVersion: 'v1.28.2',
      apiServerVersion: 'v1.27.7-gke.1056000',
    });
    expect(facts(only('{"clientVersion":{"major":"1","minor":"29","gitVersion":"v1.29.1"},"kustomizeVersion":"v5.0.4","serverVersion":{"gitVersion":"v1.29.0"}}'))).toEqual({ kubectlVersion: 'v1.29.1', apiServerVersion: 'v1.29.0' });
  });

  it('kubectl top: the namespace comes from -n when the table has no NAMESPACE column', () => {
    const r = only('$ kubectl top pod -n harbor --containers\nPOD                                CPU(cores)   MEMORY(bytes)\n');
    expect(r).toMatchObject({ kind: 'skip' }); // a header with a missing NAME column is not a kubectl top table
    expect(only(read('kubectl-top-pod_containers_n-harbor.txt'))).toMatchObject({ kind: 'source', key: 'kubectlTop', value: { namespace: 'harbor' } });
    expect(only(read('kubectl-top-pod_seed-article.txt'))).toMatchObject({ kind: 'source', key: 'kubectlTop', value: { text: expect.stringContaining('101Mi') } });
  });

  it('kubectl top --no-headers: the columns its flags imply', () => {
    const r = only('$ kubectl top pod -A --containers --no-headers | grep harbor\nharbor   harbor-core-7d8f9c6b5-x2x9q   core   2m   43Mi   \n');
    expect(r).toMatchObject({ kind: 'source', key: 'kubectlTop' });
    const samples = parseKubectlTop([(r as { value: { text: string } }).value], ctx);
    expect(samples.map((s) => [s.identity.namespace, s.identity.pod, s.identity.container, s.memory.workingSet])).toEqual([['harbor', 'harbor-core-7d8f9c6b5-x2x9q', 'core', 43 * 1048576]]);
  });

  it('metrics.k8s.io PodMetrics and PodMetricsList, as kubectl get --raw prints them', () => {
    expect(only(read('metrics-api-podmetrics_busybox.json'))).toMatchObject({ kind: 'source', key: 'metricsApi', what: 'metrics.k8s.io PodMetrics' });
    expect(only(read('metrics-api-podmetricslist_harbor.txt'))).toMatchObject({ kind: 'source', key: 'metricsApi', what: 'metrics.k8s.io PodMetricsList' });
  });

  it('cat of a cgroup file: the path in the command names the cgroup', () => {
    const r = only(read('cat-memory.stat_cgroupv2-systemd.txt'));
    expect(r).toMatchObject({
      kind: 'cgroupFile',
      file: 'memory.stat',
      path: '/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b.slice/cri-containerd-6c1f0a3b2e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978869a0b.scope',
    });
    expect((r as { text: string }).text.startsWith('anon 48234496\n')).toBe(true);
  });

  it('memory.stat text with no command and no file name is still a memory.stat', () => {
    expect(only('cache 105865216\nrss 106496\ntotal_inactive_file 8192\n')).toMatchObject({ kind: 'cgroupFile', file: 'memory.stat', path: null });
  });

  it('several commands in one paste: each recognised, each located', () => {
    const all = recognizeFile(read('node02-session.txt'));
    expect(all.map((r) => [r.at, r.command, r.result.kind === 'skip' ? r.result.reason : r.result.kind === 'source' ? r.result.key : r.result.kind])).toEqual([
      ['line 1', 'docker version', 'facts'],
      ['line 20', 'docker info | grep -i cgroup', 'facts'],
      ['line 22', 'docker stats --no-stream | grep harbor-core', 'dockerStatsTable'],
      ['line 24', 'uptime', 'output of `uptime`, which memgap does not read'],
    ]);
  });

  it('node facts: kubectl get nodes -o wide (OS-IMAGE with spaces), describe node, -o json; each claim names its node', () => {
    const wide = only(read('kubectl-get-nodes-wide_eks-1.14.txt'));
    expect(wide).toMatchObject({ kind: 'facts', what: 'kubectl get nodes -o wide' });
    expect((wide as { facts: unknown[] }).facts).toEqual([
      { key: 'kubeletVersion', value: 'v1.14.9-eks-1f0ca9', node: 'ip-192-168-12-34.ap-northeast-1.compute.internal' },
      { key: 'containerRuntime', value: 'docker://18.6.1', node: 'ip-192-168-12-34.ap-northeast-1.compute.internal' },
      { key: 'kernel', value: '4.14.165-133.209.amzn2.x86_64', node: 'ip-192-168-12-34.ap-northeast-1.compute.internal' },
      { key: 'kubeletVersion', value: 'v1.14.9-eks-1f0ca9', node: 'ip-192-168-40-2.ap-northeast-1.compute.internal' },
      { key: 'containerRuntime', value: 'docker://18.6.1', node: 'ip-192-168-40-2.ap-northeast-1.compute.internal' },
      { key: 'kernel', value: '4.14.165-133.209.amzn2.x86_64', node: 'ip-192-168-40-2.ap-northeast-1.compute.internal' },
    ]);
    const described = only(read('kubectl-describe-node_system-info.txt'));
    expect(described).toMatchObject({ kind: 'facts', what: 'kubectl describe node' });
    expect((described as { facts: unknown[] }).facts).toHaveLength(3);
    const json = JSON.stringify({ kind: 'Node', apiVersion: 'v1', metadata: { name: 'worker-1' }, status: { nodeInfo: { kubeletVersion: 'v1.28.3', containerRuntimeVersion: 'containerd://1.7.2', kernelVersion: '5.15.0-91-generic' } } });
    expect(only(json)).toMatchObject({ kind: 'facts', what: 'kubectl get node -o json', facts: [{ key: 'kubeletVersion', value: 'v1.28.3', node: 'worker-1' }, { key: 'containerRuntime' }, { key: 'kernel' }] });
  });

  it('several files in one output: tail -n +1 (==> name <==) and grep . (name:line)', () => {
    const tail = recognizeFile(read('tail-memory-files_cgroupv1.txt'));
    expect(tail.map((r) => [r.at, r.result.kind === 'cgroupFile' ? r.result.file : r.result.kind])).toEqual([
      ['line 2: memory.usage_in_bytes', 'memory.usage_in_bytes'],
      ['line 5: memory.limit_in_bytes', 'memory.limit_in_bytes'],
      ['line 8: memory.stat', 'memory.stat'],
    ]);
    expect((tail[0]!.result as { text: string }).text).toBe('105971712\n');
    const grep = recognizeFile(read('grep-memory-files_cgroupv2.txt'));
    expect(grep.map((r) => (r.result.kind === 'cgroupFile' ? [r.result.file, r.result.text] : r.result.kind))).toEqual([
      ['memory.current', '6479872\n'],
      ['memory.max', '268435456\n'],
      ['memory.stat', 'anon 3887104\nfile 1851392\nkernel 741376\ninactive_file 1212416\n'],
    ]);
  });

  it('UTF-16 (PowerShell `>`) and UTF-8 with a byte-order mark decode to the same text', () => {
    const text = read('kubectl-top-pod_seed-article.txt');
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))).toBe(text);
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]))).toBe(text);
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toBe(text);
    expect(decodeText(Buffer.from(text))).toBe(text);
  });

  it('says why: broken JSON, an unknown JSON, a command memgap does not read', () => {
    expect(only('{"node": {"nodeName": "a"')).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/looks like JSON but does not parse/) });
    expect(only('{"a": 1}')).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/JSON of no known source/) });
    expect(only('$ kubectl describe pod busybox\nName:         busybox\n')).toMatchObject({ kind: 'skip', reason: 'output of `kubectl describe pod busybox`, which memgap does not read' });
    expect(only('kubectl top said 101Mi\n')).toEqual({ kind: 'skip', reason: 'not a recognised source' });
    expect(only('$ curl -sk https://localhost:10250/stats/summary\nForbidden (user=system:anonymous, verb=get, resource=nodes, subresource=stats)\n')).toEqual({
      kind: 'skip',
      reason: 'the command failed: Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=stats)',
    });
    expect(only('$ kubectl top pod\nerror: Metrics API not available\n')).toEqual({ kind: 'skip', reason: 'the command failed: error: Metrics API not available' });
    expect(only('[ec2-user@ip-10-0-1-11 ~]$ docker stats --no-stream\nGot permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n')).toMatchObject({ reason: expect.stringMatching(/^the command failed: Got permission denied/) });
    expect(only('$ cat /sys/fs/cgroup/memory/kubepods/memory.stat\ncat: /sys/fs/cgroup/memory/kubepods/memory.stat: No such file or directory\n')).toMatchObject({ reason: expect.stringMatching(/^the command failed: cat: /) });
    expect(only('$ sudo crictl stats\nCONTAINER           NAME                CPU %               MEM                 DISK                INODES\n6c1f0a3b2e4d5       core                0.12                48.23MB             12.29kB             9\n')).toEqual({
      kind: 'skip',
      reason: 'a crictl stats table (decimal units, 4 digits): collect `crictl stats -o json` instead',
    });
    expect(only('$ docker inspect db369d0c34bd\n[\n    {\n        "Id": "db369d0c34bd5e8f",\n        "State": {"Status": "running"}\n    }\n]\n')).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/^docker inspect output/) });
  });
});
