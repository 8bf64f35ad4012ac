// Bundles the compiled CLI and the connection holder (dist/) into dist/bundle/ with esbuild: a run
// loads a few files instead of about 170 (about 85 of ours, yaml's 74, commander's), which takes
// about 80 ms off every start on the bench VM. Runs after tsc and build-validators.
// Code loaded only by some commands (the lab, the inventory editor, the terminal view) stays in
// chunks of its own, loaded when used.
import { build } from 'esbuild';
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const outdir = join(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  // held: bin/fabric starts the connection holder from it before the CLI itself has loaded.
  entryPoints: {
    main: join(dist, 'cli', 'main.js'),
    held: join(dist, 'connection', 'held.js'),
    'holder-main': join(dist, 'connection', 'holder-main.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ssh2 loads native addons when present; ajv only compiles a schema the build did not know;
  // esbuild only compiles a TypeScript library module. better-sqlite3's JavaScript is bundled (a
  // chunk the run history loads); its addon is loaded by path at run time (src/history/sqlite.ts).
  external: ['ssh2', 'cpu-features', 'ajv', 'esbuild'],
  // The CommonJS packages bundled in (yaml, commander, handlebars) call require for Node's own modules.
  banner: { js: "import { createRequire as __fabricRequire } from 'node:module'; const require = __fabricRequire(import.meta.url);" },
  logLevel: 'warning',
});
// The precompiled validators are loaded by path at run time (src/load/schema.ts), beside the code.
copyFileSync(join(dist, 'load', 'validators.generated.cjs'), join(outdir, 'validators.generated.cjs'));
console.log(`bundle: ${outdir}`);
