// Bundles the compiled CLI (dist/src, from tsc) into one ES module, dist/relinkable.mjs: the
// `relinkable` bin. Node resolves, reads and compiles each of ~130 modules one by one, which
// took 0.2 s of every run; one file loads in a third of that. Tests import dist/src directly.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/relinkable.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Loaded on first use only (zlib-compressed sections): kept as a package.
  external: ['fflate'],
  // CommonJS dependencies (commander, elfy) call require() for Node's own modules.
  banner: { js: "import { createRequire as relinkableRequire } from 'node:module'; const require = relinkableRequire(import.meta.url);" },
  logLevel: 'warning',
});
