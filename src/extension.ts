import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Parts register themselves here as they land (see docs/ARCHITECTURE.md).
}

export function deactivate(): void {}
