// Runs a TypeScript script of this repo (scripts/*.ts): bundles it with the project's esbuild,
// then executes it with the remaining arguments. `node scripts/run-ts.mjs scripts/x.ts --check`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <script.ts> [args…]');
  process.exit(2);
}
// Beside the source, so the script's own import.meta.url paths resolve as in the repo.
const outfile = path.join(path.dirname(entry), `.run-${path.basename(entry).replace(/\.ts$/, '')}-${process.pid}.mjs`);
await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', outfile, logLevel: 'warning' });
const r = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit' });
rmSync(outfile, { force: true });
process.exit(r.status ?? 1);
