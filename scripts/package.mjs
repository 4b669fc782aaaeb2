// npm run package [-- --target linux-x64 [--target …]] [--out DIR]
// Builds the extension in production mode into a staging folder, then for each target writes
// <out>/microdatawarehouse-<version>-<target>.vsix holding exactly that platform's DuckDB binding,
// taken from `npm pack @duckdb/node-bindings-<platform>` (cached in .cache/duckdb-bindings, checked
// against package-lock.json's integrity). Each package is listed and checked before it counts.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache/duckdb-bindings');

/**
 * vsce target → the npm package suffix of its DuckDB binding and the machine its duckdb.node is built
 * for. Alpine is VS Code's name for Linux on musl libc.
 */
export const TARGETS = {
  'linux-x64': { binding: 'linux-x64', format: 'elf', machine: 0x3e },
  'linux-arm64': { binding: 'linux-arm64', format: 'elf', machine: 0xb7 },
  'alpine-x64': { binding: 'linux-x64-musl', format: 'elf', machine: 0x3e },
  'alpine-arm64': { binding: 'linux-arm64-musl', format: 'elf', machine: 0xb7 },
  'darwin-x64': { binding: 'darwin-x64', format: 'macho', machine: 0x01000007 },
  'darwin-arm64': { binding: 'darwin-arm64', format: 'macho', machine: 0x0100000c },
  'win32-x64': { binding: 'win32-x64', format: 'pe', machine: 0x8664 },
  'win32-arm64': { binding: 'win32-arm64', format: 'pe', machine: 0xaa64 },
};

const NATIVE = /(^|\/)(duckdb\.node|libduckdb\.[^/]+|duckdb\.dll)$/;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    const out = opts.stdio === 'pipe' ? `\n${r.stdout}${r.stderr}` : '';
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})${out}`);
  }
  return r;
}

const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** The npm tarball of one binding package, downloaded once and checked against package-lock.json. */
function bindingTarball(binding, version) {
  const name = `@duckdb/node-bindings-${binding}`;
  const file = path.join(CACHE, `duckdb-node-bindings-${binding}-${version}.tgz`);
  const lock = readJson(path.join(ROOT, 'package-lock.json')).packages[`node_modules/${name}`];
  if (!lock || lock.version !== version)
    throw new Error(`package-lock.json has no ${name}@${version}: run npm install after changing DuckDB`);
  const matches = () => {
    const [algo, expected] = lock.integrity.split(/-(.*)/s);
    return crypto.createHash(algo).update(fs.readFileSync(file)).digest('base64') === expected;
  };
  if (fs.existsSync(file) && matches()) return file;
  fs.mkdirSync(CACHE, { recursive: true });
  fs.rmSync(file, { force: true });
  run('npm', ['pack', '--silent', `${name}@${version}`, '--pack-destination', CACHE], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!fs.existsSync(file)) throw new Error(`npm pack ${name}@${version} did not produce ${file}`);
  if (!matches()) throw new Error(`${file} does not match package-lock.json's integrity ${lock.integrity}`);
  return file;
}

/** The executable format and machine of a native module, read from its header. */
export function nativeMachine(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) === 0x7f454c46) return { format: 'elf', machines: [b.readUInt16LE(18)] };
  if (b.readUInt32LE(0) === 0xfeedfacf) return { format: 'macho', machines: [b.readUInt32LE(4)] };
  if (b.readUInt32BE(0) === 0xcafebabe) {
    const n = b.readUInt32BE(4);
    return { format: 'macho', machines: [...Array(n).keys()].map((i) => b.readUInt32BE(8 + 20 * i)) };
  }
  if (b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (b.toString('latin1', pe, pe + 4) === 'PE\0\0')
      return { format: 'pe', machines: [b.readUInt16LE(pe + 4)] };
  }
  return { format: 'unknown', machines: [] };
}

/** Names and uncompressed sizes of a zip's entries, from its central directory. */
export function zipEntries(file) {
  const b = fs.readFileSync(file);
  let eocd = b.length - 22;
  while (eocd >= 0 && b.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = b.readUInt16LE(eocd + 10);
  let p = b.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (b.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLen = b.readUInt16LE(p + 28);
    entries.push({
      name: b.toString('utf8', p + 46, p + 46 + nameLen),
      size: b.readUInt32LE(p + 24),
      method: b.readUInt16LE(p + 10),
      compressedSize: b.readUInt32LE(p + 20),
      offset: b.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + b.readUInt16LE(p + 30) + b.readUInt16LE(p + 32);
  }
  return entries;
}

/** The text of one stored or deflated zip entry. */
export function zipEntryText(file, name) {
  const entry = zipEntries(file).find((e) => e.name === name);
  if (!entry) throw new Error(`${file} has no ${name}`);
  const b = fs.readFileSync(file);
  const start = entry.offset + 30 + b.readUInt16LE(entry.offset + 26) + b.readUInt16LE(entry.offset + 28);
  const data = b.subarray(start, start + entry.compressedSize);
  return (entry.method === 8 ? zlib.inflateRawSync(data) : data).toString('utf8');
}

/** Files the manifest names (main, icon, grammars, language configurations, view icons…). */
export function manifestFiles(manifest) {
  const found = new Set();
  const walk = (v) => {
    if (typeof v === 'string') {
      if (/^(\.\/)?[\w@-][\w./@-]*\.\w+$/.test(v) && /^(\.\/|dist\/|media\/|syntaxes\/)/.test(v))
        found.add(path.posix.normalize(v));
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk({ main: manifest.main, icon: manifest.icon, contributes: manifest.contributes });
  return [...found].sort();
}

/** Problems with a .vsix's contents for `target`; empty when it holds exactly what it should. */
export function checkVsix(entries, target) {
  const { binding } = TARGETS[target];
  const dir = `extension/node_modules/@duckdb/node-bindings-${binding}/`;
  const names = entries.map((e) => e.name);
  const problems = [];
  const native = names.filter((n) => NATIVE.test(n));
  const expected = native.filter((n) => n.startsWith(dir));
  if (!expected.some((n) => n.endsWith('/duckdb.node'))) problems.push(`no ${dir}duckdb.node`);
  if (!expected.some((n) => /\/(libduckdb\.[^/]+|duckdb\.dll)$/.test(n)))
    problems.push(`no DuckDB library in ${dir}`);
  for (const n of native.filter((x) => !x.startsWith(dir))) problems.push(`another platform's binary: ${n}`);
  for (const n of names) {
    if (/\.(map|ts|tsx|tgz)$/.test(n) && !n.endsWith('.d.ts')) problems.push(`should not ship: ${n}`);
    if (n.endsWith('.d.ts') || /^extension\/(src|test|webview-ui|scripts|bench|out)\//.test(n))
      problems.push(`should not ship: ${n}`);
  }
  for (const needed of ['extension/package.json', 'extension/dist/extension.js', 'extension/LICENSE.txt'])
    if (!names.includes(needed)) problems.push(`missing ${needed}`);
  return problems;
}

/** Bare module names the bundles load at run time (not Node built-ins, not vscode). */
function externalRequires(distDir) {
  const found = new Set();
  for (const f of fs.readdirSync(distDir, { recursive: true })) {
    if (!String(f).endsWith('.js')) continue;
    const text = fs.readFileSync(path.join(distDir, f), 'utf8');
    for (const [, id] of text.matchAll(/\brequire\("([^"./][^"]*)"\)/g)) {
      if (id === 'vscode' || id.startsWith('node:') || builtinModules.includes(id)) continue;
      found.add(
        id
          .split('/')
          .slice(0, id.startsWith('@') ? 2 : 1)
          .join('/'),
      );
    }
  }
  return [...found].sort();
}

/** Top-level files and folders the `!` lines of .vscodeignore can ship (dist and node_modules are staged). */
function shippedTopLevel() {
  const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
  const tops = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).split('/')[0]);
  return [...new Set(tops)].filter(
    (t) => !['dist', 'node_modules'].includes(t) && fs.existsSync(path.join(ROOT, t)),
  );
}

/** Stages everything but the platform binding: production bundles, assets, manifest, runtime JS. */
function stageCommon(stage, version) {
  run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b']);
  run(process.execPath, ['esbuild.mjs', '--production', `--outdir=${path.join(stage, 'dist')}`]);
  for (const top of [...shippedTopLevel(), '.vscodeignore'])
    fs.cpSync(path.join(ROOT, top), path.join(stage, top), { recursive: true });

  // Everything but DuckDB's binding is inside the bundles, so the package depends on that alone; vsce
  // asks `npm list` which node_modules folders to ship, and finds exactly the ones staged below.
  const manifest = readJson(path.join(ROOT, 'package.json'));
  manifest.dependencies = { '@duckdb/node-bindings': version };
  for (const k of ['devDependencies', 'scripts', 'bin']) delete manifest[k];
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

  const bindings = readJson(path.join(ROOT, 'node_modules/@duckdb/node-bindings/package.json'));
  for (const name of ['@duckdb/node-bindings', ...Object.keys(bindings.dependencies ?? {})]) {
    fs.cpSync(path.join(ROOT, 'node_modules', name), path.join(stage, 'node_modules', name), {
      recursive: true,
    });
  }
  const missing = externalRequires(path.join(stage, 'dist')).filter(
    (id) =>
      id !== '@duckdb/node-bindings' &&
      !id.startsWith('@duckdb/node-bindings-') &&
      !fs.existsSync(path.join(stage, 'node_modules', id)),
  );
  if (missing.length)
    throw new Error(`the bundles require modules the package would not ship: ${missing.join(', ')}`);
}

/** Puts one platform's binding into the staging folder, replacing any other, and checks its machine. */
function stageBinding(stage, target, tarball) {
  const scope = path.join(stage, 'node_modules/@duckdb');
  for (const d of fs.readdirSync(scope)) {
    if (d.startsWith('node-bindings-')) fs.rmSync(path.join(scope, d), { recursive: true, force: true });
  }
  const { binding, format, machine } = TARGETS[target];
  const dest = path.join(scope, `node-bindings-${binding}`);
  fs.mkdirSync(dest);
  run('tar', ['xzf', tarball, '-C', dest, '--strip-components=1']);
  const found = nativeMachine(path.join(dest, 'duckdb.node'));
  if (found.format !== format || !found.machines.includes(machine)) {
    const got = `${found.format} ${found.machines.map((m) => '0x' + m.toString(16)).join('/')}`;
    throw new Error(
      `${binding}/duckdb.node is ${got}, not ${format} 0x${machine.toString(16)} for ${target}`,
    );
  }
}

/** Builds, stages and packages every target; returns what was written. */
export function packageTargets({ targets = Object.keys(TARGETS), out = path.join(ROOT, 'vsix') } = {}) {
  for (const t of targets)
    if (!TARGETS[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`);
  const pkg = readJson(path.join(ROOT, 'package.json'));
  const version = readJson(path.join(ROOT, 'node_modules/@duckdb/node-bindings/package.json')).version;
  const wanted = readJson(path.join(ROOT, 'node_modules/@duckdb/node-api/package.json')).dependencies[
    '@duckdb/node-bindings'
  ];
  if (wanted !== version)
    throw new Error(`@duckdb/node-api wants node-bindings ${wanted}, ${version} is installed`);

  const tarballs = Object.fromEntries(targets.map((t) => [t, bindingTarball(TARGETS[t].binding, version)]));
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-package-'));
  try {
    return packageStaged(stage, { targets, out, pkg, version, tarballs });
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function packageStaged(stage, { targets, out, pkg, version, tarballs }) {
  stageCommon(stage, version);
  fs.mkdirSync(out, { recursive: true });
  // Without a repository vsce cannot turn README links into URLs; they stay relative to the package,
  // which ships the docs/ pages they point to.
  const linkFlags = pkg.repository ? [] : ['--allow-missing-repository', '--no-rewrite-relative-links'];
  const vsce = path.join(ROOT, 'node_modules/@vscode/vsce/vsce');
  const results = [];
  for (const target of targets) {
    stageBinding(stage, target, tarballs[target]);
    const file = path.join(out, `${pkg.name}-${pkg.version}-${target}.vsix`);
    fs.rmSync(file, { force: true });
    run(process.execPath, [vsce, 'package', '--target', target, '--out', file, ...linkFlags], {
      cwd: stage,
      stdio: 'pipe',
    });
    const entries = zipEntries(file);
    const problems = checkVsix(entries, target);
    const names = new Set(entries.map((e) => e.name));
    for (const f of manifestFiles(pkg)) {
      if (!names.has(`extension/${f}`)) problems.push(`package.json names ${f}, which is not in the package`);
    }
    // A marketplace offers each platform the package whose manifest carries its tag.
    if (!zipEntryText(file, 'extension.vsixmanifest').includes(`TargetPlatform="${target}"`))
      problems.push(`extension.vsixmanifest does not say TargetPlatform="${target}"`);
    if (problems.length) throw new Error(`${path.basename(file)}:\n  ${problems.join('\n  ')}`);
    const result = { target, file, bytes: fs.statSync(file).size, files: entries.length - 2 };
    results.push(result);
    console.log(`${path.relative(ROOT, file)}  ${mb(result.bytes)}  ${result.files} files  ok`);
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: { target: { type: 'string', multiple: true }, out: { type: 'string' } },
  });
  try {
    const t0 = Date.now();
    const results = packageTargets({ targets: values.target, out: values.out && path.resolve(values.out) });
    const total = results.reduce((n, r) => n + r.bytes, 0);
    console.log(`${results.length} packages, ${mb(total)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
