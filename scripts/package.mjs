// `npm run package`: esbuild bundles → one zip per function (the bundle at its root, plus sql/) → `osls package`, offline.
// Usage: node scripts/package.mjs [--stage dev] [--zips-only] [--no-build] [--allow-missing] [-- extra osls args]
// --allow-missing: a function without a bundle gets a stub that throws, so the template can still
// be checked while that handler is being written. Never deploy a package built with it.
// The zips are what `osls deploy` uploads too (serverless.yml points each function at its zip).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const stageIdx = args.indexOf('--stage');
const stage = stageIdx >= 0 ? args[stageIdx + 1] : 'dev';
const passthrough = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];

// Every function serverless.yml declares; each must have a bundle, or packaging fails loudly.
const FUNCTIONS = ['ingest', 'plan', 'compact', 'daily'];

const run = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });

if (!flag('--no-build')) run(process.execPath, ['scripts/build.mjs']);

const bundles = path.join(root, 'dist', 'functions');
const out = path.join(root, 'dist', 'lambda');
mkdirSync(out, { recursive: true });
const missing = FUNCTIONS.filter((f) => !existsSync(path.join(bundles, `${f}.mjs`)));
if (missing.length > 0) {
  const what = missing.map((f) => `functions/${f}.ts`).join(', ');
  if (!flag('--allow-missing')) {
    console.error(`package: no bundle for ${what} (dist/functions/<name>.mjs); serverless.yml declares them`);
    process.exit(1);
  }
  console.warn(`package: WARNING: stub bundles for ${what}; this package must not be deployed`);
}
for (const name of FUNCTIONS) {
  const zip = path.join(out, `${name}.zip`);
  rmSync(zip, { force: true });
  let bundle = path.join(bundles, `${name}.mjs`);
  if (missing.includes(name)) {
    mkdirSync(path.join(out, 'stubs'), { recursive: true });
    bundle = path.join(out, 'stubs', `${name}.mjs`);
    writeFileSync(bundle, `export const handler = async () => { throw new Error('memgap: functions/${name}.ts was not built'); };\n`);
  }
  // -j: flat, so the handler is `<name>.handler`; -X: no extra attributes, steadier bytes.
  run('zip', ['-q', '-j', '-X', zip, bundle]);
  // The SQL the steps run (sql/pipeline/*.sql, named queries) is read at run time from sql/ beside the handler.
  run('zip', ['-q', '-r', '-X', zip, 'sql', '-i', '*.sql']);
  console.log(`package: ${path.relative(root, zip)} ${statSync(zip).size} B (bundle ${statSync(bundle).size} B)`);
}
for (const stale of readdirSync(out)) {
  if (stale.endsWith('.zip') && !FUNCTIONS.includes(stale.slice(0, -4))) rmSync(path.join(out, stale));
}
if (flag('--zips-only')) process.exit(0);

// osls `package` needs credentials to exist, not to work: nothing here calls AWS. A throwaway HOME
// keeps its ajv cache out of the user's ~/.serverless.
const home = mkdtempSync(path.join(os.tmpdir(), 'memgap-osls-home-'));
try {
  run(path.join(root, 'node_modules', '.bin', 'osls'), ['package', '--stage', stage, ...passthrough], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ACCESS_KEY_ID: 'AKIAFAKEOFFLINEPACKAGE',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-packaging',
      AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_INTERACTIVE_SETUP_DISABLE: '1',
      CI: '1',
    },
  });
} finally {
  rmSync(home, { recursive: true, force: true });
}
console.log(`package: .serverless/cloudformation-template-update-stack.json (stage ${stage})`);
