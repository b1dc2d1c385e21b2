#!/usr/bin/env node
// The installed `memgap` command: runs the CLI bundle that `npm run build` (and `prepare`, on
// `npm install` in a clone and on `npm pack`) writes to dist/.
let cli;
try {
  cli = await import('../dist/cli.mjs');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli.mjs')) throw err;
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`memgap: ${root}dist/cli.mjs is missing: run \`npm install\` (or \`npm run build\`) in ${root}\n`);
  process.exit(3);
}
cli.runCli(process.argv.slice(2));
