// Bundles the CLI (dependencies stay in node_modules) and each Lambda function (everything
// inlined, for a small cold start). One esbuild config for the tests, the CLI and the deploy.
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

// The ingest worker of `analyze` (worker_threads) sits next to the CLI bundle that starts it.
const entries = { cli: 'src/cli/main.ts', 'ingest-worker': 'src/pipeline/ingest-worker.ts' };
// `--cli` (what `prepare` runs on `npm install` in a clone and on `npm pack`): only what the
// installed `memgap` command needs, not the benches or the Lambda bundles.
const cliOnly = process.argv.includes('--cli');
if (!cliOnly) for (const name of ['bench', 'bench-agent', 'bench-trends']) if (existsSync(`scripts/${name}.ts`)) entries[name] = `scripts/${name}.ts`;
await build({ ...common, entryPoints: entries, outdir: 'dist', outExtension: { '.js': '.mjs' }, packages: 'external' });

const functions = !cliOnly && existsSync('functions') ? readdirSync('functions').filter((f) => f.endsWith('.ts')) : [];
if (functions.length > 0) {
  await build({
    ...common,
    entryPoints: Object.fromEntries(functions.map((f) => [f.replace(/\.ts$/, ''), `functions/${f}`])),
    outdir: 'dist/functions',
    outExtension: { '.js': '.mjs' },
    minify: true,
    legalComments: 'none',
    // DuckDB is a CLI-only dependency (memgap query); the Lambdas never load it.
    external: ['@duckdb/node-api'],
    metafile: true,
  });
}
