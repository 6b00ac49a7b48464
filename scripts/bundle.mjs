// Bundles the compiled CLI (dist/src, from tsc) into one ES module, dist/relinkable.mjs: the
// `relinkable` bin. Node resolves, reads and compiles each of ~130 modules one by one, which
// took 0.2 s of every run; one file loads in a third of that. Tests import dist/src directly.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * The commit the bundle is built from (src/version.ts): a report names the code that ran,
 * not whatever the checkout holds when it runs (a bundle left unbuilt after a pull), and no
 * run spends two git processes (~10 ms) asking. Null outside a checkout.
 */
function buildCommit() {
  if (!existsSync('.git')) return null;
  try {
    const git = (...args) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? commit : `${commit}+dirty`;
  } catch {
    return null;
  }
}

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
  define: { RELINKABLE_BUILD_COMMIT: JSON.stringify(buildCommit()) },
  logLevel: 'warning',
});
