import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, manifest, note } from './support.js';

interface Api {
  activationMs: number;
}

const loadedDuckDB = () => Object.keys(require.cache).some((f) => f.includes('@duckdb/node-bindings'));

suite('activation', () => {
  test('activationEvents stays empty (views and commands activate the extension)', () => {
    assert.deepEqual(manifest().activationEvents ?? [], []);
  });

  test('the extension activates, fast, without loading DuckDB', async () => {
    const ext = extension();
    const wasActive = ext.isActive;
    const started = performance.now();
    const api = (await ext.activate()) as Api;
    const wall = performance.now() - started;
    assert.ok(ext.isActive);
    assert.equal(typeof api.activationMs, 'number');
    note(
      wasActive
        ? `already active; activate() took ${api.activationMs.toFixed(1)} ms`
        : `activation: ${wall.toFixed(1)} ms wall (module load + activate), ${api.activationMs.toFixed(1)} ms in activate()`,
    );
    assert.equal(loadedDuckDB(), false, 'DuckDB must load on first use, not in activate()');
  });

  test('Show Logs runs', async () => {
    await vscode.commands.executeCommand('microDataWarehouse.logs.show');
  });
});
