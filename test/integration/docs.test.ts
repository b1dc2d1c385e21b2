/**
 * The docs say what the program does: they name no spec file outside the repository, the README
 * shows what `npm start` prints (its headline numbers included), docs/agent.md gives the agent
 * image's exit codes and docs/athena.md runs its local examples on the demo's output folder.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as agentMain } from '../../src/agent/main.js';
import { buildProgram } from '../../src/cli/main.js';
import { buildCli, type CliBuild } from './helpers/cli-process.js';

const ROOT = path.resolve('.');
const read = (rel: string) => readFile(path.join(ROOT, rel), 'utf8');

async function* filesUnder(rel: string): AsyncGenerator<string> {
  for (const e of await readdir(path.join(ROOT, rel), { withFileTypes: true })) {
    const child = path.join(rel, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && !e.name.startsWith('.')) yield* filesUnder(child);
    } else if (/\.(ts|mjs|js|md|yml|yaml|sql|json|txt)$|Dockerfile$/.test(e.name)) yield child;
  }
}

describe('the docs stand alone', () => {
  it('no file of the project cites a spec that is not in the repository', async () => {
    // The project was specified in files outside it (SPEC, DOMAIN, TOOLCHAIN); a reader of the
    // repository has none of them, so a citation must name something the repository holds.
    const outside = /\bSPEC(\.md)?\s*§|\bSPEC \d|\bthe SPEC\b|\bDOMAIN(\.md)?\s*§|\bDOMAIN\.md\b|\bTOOLCHAIN(\.md)?\b|\.\.\/shared\b/;
    const hits: string[] = [];
    const roots = ['README.md', 'docs', 'src', 'scripts', 'functions', 'serverless.yml', 'serverless', 'deploy', 'sql', 'test'];
    for (const r of roots) {
      const files: string[] = [];
      if (r.includes('.')) files.push(r);
      else for await (const f of filesUnder(r)) files.push(f);
      for (const f of files) {
        if (f === path.join('test', 'integration', 'docs.test.ts')) continue;
        (await read(f)).split('\n').forEach((line, i) => outside.test(line) && hits.push(`${f}:${i + 1}: ${line.trim()}`));
      }
    }
    expect(hits).toEqual([]);
  });
});

describe("docs/agent.md's exit codes are the agent image's (src/agent/main.ts)", () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(path.join(tmpdir(), 'memgap-no-cgroup-'));
  });
  afterAll(async () => rm(empty, { recursive: true, force: true }));

  it('1 when --once finds no source, 2 for a bad flag or a missing --out', async () => {
    const doc = await read('docs/agent.md');
    expect(doc).toMatch(/1 the agent failed — `--once` with no source answering/);
    expect(doc).toMatch(/2 usage error \(a bad flag or value, no `--out` without `--once`\)/);
    // every source switched off, an empty folder as the cgroup root: nothing answers
    expect(await agentMain(['--once', '--cluster', 'c', '--node', 'n', '--no-kubelet', '--no-docker', '--no-crictl', '--cgroup-root', empty])).toBe(1);
    expect(await agentMain(['--no-such-flag'])).toBe(2);
    expect(await agentMain(['--cluster', 'c', '--node', 'n', '--no-kubelet'])).toBe(2);
  });
});

describe('docs/athena.md', () => {
  it("runs its local examples on the demo's output folder", async () => {
    const demo = buildProgram().commands.find((c) => c.name() === 'demo')!;
    const demoOut = demo.options.find((o) => o.long === '--out')!.defaultValue as string;
    expect(demoOut).toBe('./memgap-demo');
    const local = [...(await read('docs/athena.md')).matchAll(/--out (\.{0,2}\/?[\w-]+)(?=\s)/g)].map((m) => m[1]);
    expect(local.length).toBeGreaterThanOrEqual(2);
    for (const out of local) expect(out).toBe(demoOut);
  });
});

describe('the README shows what `npm start` prints', () => {
  let cli: CliBuild;
  let dir: string;
  let printed: string;
  beforeAll(async () => {
    cli = await buildCli();
    dir = await mkdtemp(path.join(tmpdir(), 'memgap-readme-demo-'));
    const r = await cli.run(['demo', '--out', path.join(dir, 'demo')]);
    expect(r.code).toBe(0);
    printed = r.stdout;
  }, 180_000);
  afterAll(async () => {
    cli?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('every line of its example output block is a line the demo prints', async () => {
    const readme = await read('README.md');
    const block = /`npm start` prints[^\n]*\n\n```\n([\s\S]*?)\n```/.exec(readme)![1]!;
    const lines = block.split('\n').filter((l) => l.trim() !== '' && l.trim() !== '…');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const out = printed.split('\n');
    for (const l of lines) expect(out, l).toContain(l);
  });

  it("the headline's two numbers are the ones the demo prints for the seed article's pod", async () => {
    const readme = await read('README.md');
    const headline = /^\*\*Why does[\s\S]*?\*\*$/m.exec(readme)![0];
    const [top, docker] = [...headline.matchAll(/says? (\d[\d.]* [KMG]iB)/g)].map((m) => m[1]);
    expect(top).toBeDefined();
    expect(docker).toBeDefined();
    expect(printed).toContain(`[seed-article] pod default/busybox: kubectl top says ${top}, Docker 18.06 says ${docker}`);
  });
});
