// Bundles the deliverables: the extension (node, cjs), the CLI and the warehouse service (node, cjs) and the webview (browser).
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** DuckDB's native binding is loaded at run time from node_modules, never bundled. */
const nodeExternal = ['vscode', '@duckdb/node-bindings', '@duckdb/node-bindings-*'];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts', service: 'src/engine/service/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
  },
  {
    ...common,
    entryPoints: {
      'webview/grid': 'webview-ui/src/main.ts',
      'webview/plan': 'webview-ui/src/plan/main.ts',
      'webview/worksheet': 'webview-ui/src/worksheet/main.ts',
    },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'css', '.ttf': 'file' },
  },
];

// scripts/package.mjs builds into its staging folder (--outdir=…), so a release build never touches dist/.
const outdir = process.argv.find((a) => a.startsWith('--outdir='))?.slice('--outdir='.length);
if (outdir) for (const b of builds) b.outdir = b.outdir.replace(/^dist(?=\/|$)/, outdir);

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
