import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** The extension under test, as published in package.json. */
export const EXTENSION_ID = 'microdatawarehouse.microdatawarehouse';

/** Prints a line into the test report, between mocha's own lines. */
export function note(message: string): void {
  Mocha.reporters.Base.consoleLog(`      · ${message}`);
}

/** The extension under test; fails the test when VS Code did not load it. */
export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

/** The package.json the extension host loaded the extension from. */
export interface Manifest {
  activationEvents?: string[];
  contributes: {
    commands?: { command: string }[];
    views?: Record<string, { id: string; type?: string }[]>;
    viewsContainers?: Record<string, { id: string }[]>;
    customEditors?: { viewType: string }[];
  };
}

export function manifest(): Manifest {
  return JSON.parse(
    fs.readFileSync(path.join(extension().extensionPath, 'package.json'), 'utf8'),
  ) as Manifest;
}
