import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { captureConfigFromFlags, parseBatchSize, parseDuration, parseSize, registerAgentCommand } from '../../../src/cli/agent.js';
import { UsageError } from '../../../src/errors.js';
import { writeCgroupTree, syntheticPods } from '../../integration/agent/fake-host.js';
import { CaptureBundle } from '../../../src/model/bundle.js';
import { FsObjectStore } from '../../../src/store/fs-store.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const flags = (over: Record<string, unknown> = {}) =>
  ({ cluster: 'c1', node: 'n1', interval: '60s', kubelet: true, tokenFile: '/nonexistent/token', caFile: '/nonexistent/ca', dockerSocket: '/nonexistent.sock', docker: true, crictl: false, cgroupRoot: tmp, spoolDir: tmp, spoolMaxBytes: '1Mi', logLevel: 'info', ...over }) as never;

describe('agent flags', () => {
  it('parses durations and sizes', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(() => parseDuration('10ms')).toThrow(UsageError);
    expect(() => parseDuration('soon')).toThrow(UsageError);
    expect(parseSize('256Mi')).toBe(256 * 1024 * 1024);
    expect(parseSize('1G')).toBe(1e9);
    expect(() => parseSize('-1')).toThrow(UsageError);
  });

  it('defaults to the secure kubelet port and only uses 10255 on explicit opt-in', () => {
    const prev = process.env.NODE_IP;
    process.env.NODE_IP = '10.0.1.23';
    try {
      expect(captureConfigFromFlags(flags()).kubeletUrl).toBe('https://10.0.1.23:10250');
      expect(captureConfigFromFlags(flags({ readOnlyPort: true })).kubeletUrl).toBe('http://10.0.1.23:10255');
      expect(() => captureConfigFromFlags(flags({ kubeletUrl: 'http://10.0.1.23:10255' }))).toThrow(/--read-only-port/);
      expect(captureConfigFromFlags(flags({ kubeletUrl: 'http://10.0.1.23:10255', readOnlyPort: true })).kubeletUrl).toBe('http://10.0.1.23:10255');
      expect(captureConfigFromFlags(flags({ kubelet: false })).kubeletUrl).toBeUndefined();
    } finally {
      if (prev === undefined) delete process.env.NODE_IP;
      else process.env.NODE_IP = prev;
    }
  });

  it('parses the batch size: 1 to 1000 captures per object, 30 when unset', () => {
    expect(parseBatchSize(undefined)).toBe(30);
    expect(parseBatchSize('')).toBe(30);
    expect(parseBatchSize('1')).toBe(1);
    expect(parseBatchSize('60')).toBe(60);
    for (const bad of ['0', '1001', '-3', '2.5', 'lots']) expect(() => parseBatchSize(bad)).toThrow(UsageError);
  });

  it('rejects names that cannot become object keys', () => {
    expect(() => captureConfigFromFlags(flags({ cluster: 'a/b' }))).toThrow(UsageError);
    expect(() => captureConfigFromFlags(flags({ node: '..' }))).toThrow(UsageError);
  });

  it('leaves out a Docker socket that is not there', () => {
    expect(captureConfigFromFlags(flags()).dockerSocket).toBeUndefined();
  });
});

describe('memgap agent --once', () => {
  it('prints a valid bundle and uploads it to --out under the raw key', async () => {
    const root = writeCgroupTree(path.join(tmp, 'cg'), { version: 2, driver: 'systemd' }, syntheticPods(3));
    const out = path.join(tmp, 'out');
    const printed: string[] = [];
    const program = new Command().exitOverride();
    registerAgentCommand(program, { stdout: (t) => void printed.push(t), openStore: (loc) => new FsObjectStore(loc) });
    await program.parseAsync(['agent', '--once', '--cluster', 'c1', '--node', 'n1', '--no-kubelet', '--no-docker', '--no-crictl', '--cgroup-root', root, '--out', out, '--log-level', 'error'], { from: 'user' });
    const bundle = CaptureBundle.parse(JSON.parse(printed.join('')));
    // 3 pods × (pod cgroup + pause + app).
    expect(bundle.sources.cgroups).toHaveLength(9);
    expect(bundle.host).toMatchObject({ cgroupVersion: 2, cgroupDriver: 'systemd' });
    const keys: string[] = [];
    for await (const o of new FsObjectStore(out).list('raw/')) keys.push(o.key);
    expect(keys).toEqual([`raw/cluster=c1/node=n1/dt=${bundle.capturedAt.slice(0, 10)}/${bundle.capturedAt}.json.gz`]);
  });

  it('needs --out unless --once', async () => {
    const program = new Command().exitOverride();
    registerAgentCommand(program);
    writeFileSync(path.join(tmp, 'x'), '');
    await expect(program.parseAsync(['agent', '--cluster', 'c1', '--no-kubelet', '--no-crictl', '--cgroup-root', tmp], { from: 'user' })).rejects.toThrow(/--out is required/);
  });
});
