// The checks scripts/package.mjs applies to each .vsix, on listings and on real native binaries.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '../../..');

interface Entry {
  name: string;
  size: number;
}
interface PackageScript {
  TARGETS: Record<string, { binding: string; format: string; machine: number }>;
  checkVsix(entries: Entry[], target: string): string[];
  nativeMachine(file: string): { format: string; machines: number[] };
}

const entries = (...names: string[]): Entry[] => names.map((name) => ({ name, size: 1 }));
const base = [
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/LICENSE.txt',
  'extension/dist/extension.js',
  'extension/dist/webview/grid.js',
  'extension/node_modules/@duckdb/node-bindings/duckdb.js',
];
const linux = [
  'extension/node_modules/@duckdb/node-bindings-linux-x64/duckdb.node',
  'extension/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so',
];

describe('package checks', () => {
  let pkg: PackageScript;
  before(async () => {
    pkg = (await import(pathToFileURL(path.join(root, 'scripts/package.mjs')).href)) as PackageScript;
  });

  it('accepts a package with exactly its own platform binding', () => {
    assert.deepEqual(pkg.checkVsix(entries(...base, ...linux), 'linux-x64'), []);
    const win = [
      'extension/node_modules/@duckdb/node-bindings-win32-x64/duckdb.node',
      'extension/node_modules/@duckdb/node-bindings-win32-x64/duckdb.dll',
    ];
    assert.deepEqual(pkg.checkVsix(entries(...base, ...win), 'win32-x64'), []);
  });

  it("rejects another platform's binary, a missing binding, maps and sources", () => {
    const mac = 'extension/node_modules/@duckdb/node-bindings-darwin-arm64/libduckdb.dylib';
    assert.match(
      pkg.checkVsix(entries(...base, ...linux, mac), 'linux-x64').join('\n'),
      /another platform.*darwin-arm64/,
    );
    assert.match(
      pkg.checkVsix(entries(...base, ...linux), 'alpine-x64').join('\n'),
      /no .*linux-x64-musl\/duckdb\.node/,
    );
    assert.match(pkg.checkVsix(entries(...base), 'linux-x64').join('\n'), /no DuckDB library/);
    for (const extra of [
      'extension/dist/extension.js.map',
      'extension/src/extension.ts',
      'extension/x/types.d.ts',
    ]) {
      assert.match(
        pkg.checkVsix(entries(...base, ...linux, extra), 'linux-x64').join('\n'),
        /should not ship/,
        extra,
      );
    }
    const noLicense = base.filter((n) => !n.includes('LICENSE'));
    assert.match(
      pkg.checkVsix(entries(...noLicense, ...linux), 'linux-x64').join('\n'),
      /missing extension\/LICENSE/,
    );
  });

  const binding = path.join(root, 'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node');
  it(
    'reads the machine a native module is built for',
    { skip: !fs.existsSync(binding) && 'no linux-x64 binding here' },
    () => {
      assert.deepEqual(pkg.nativeMachine(binding), {
        format: 'elf',
        machines: [pkg.TARGETS['linux-x64']!.machine],
      });
      assert.deepEqual(pkg.nativeMachine(path.join(root, 'package.json')), {
        format: 'unknown',
        machines: [],
      });
    },
  );
});
