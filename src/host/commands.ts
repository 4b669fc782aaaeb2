import * as vscode from 'vscode';
import { isEngineError } from '../engine/errors.js';
import { SHOW_LOGS_COMMAND, type ComponentLogger } from './logger.js';

/** Every command the extension registers; each is declared in package.json. */
export const COMMANDS = {
  showLogs: SHOW_LOGS_COMMAND,
  runStatement: 'microDataWarehouse.run.statement',
  runAll: 'microDataWarehouse.run.all',
  cancel: 'microDataWarehouse.run.cancel',
  begin: 'microDataWarehouse.transaction.begin',
  commit: 'microDataWarehouse.transaction.commit',
  rollback: 'microDataWarehouse.transaction.rollback',
  use: 'microDataWarehouse.session.use',
  exportResults: 'microDataWarehouse.results.export',
  formatSql: 'microDataWarehouse.sql.format',
  newDatabase: 'microDataWarehouse.database.create',
  newSchema: 'microDataWarehouse.schema.create',
  importFile: 'microDataWarehouse.import.file',
  importInto: 'microDataWarehouse.databases.importInto',
  refresh: 'microDataWarehouse.databases.refresh',
  preview: 'microDataWarehouse.databases.preview',
  describe: 'microDataWarehouse.databases.describe',
  copyName: 'microDataWarehouse.databases.copyName',
  drop: 'microDataWarehouse.databases.drop',
} as const;

/** Codes after which trying the same action again can succeed (another process let go, a fix on disk). */
const RETRYABLE = new Set(['WAREHOUSE_LOCKED', 'NATIVE_LOAD_FAILED', 'WAREHOUSE_INVALID', 'DATABASE_IN_USE']);

/**
 * Registers a command whose errors never escape: the full error goes to the log, the user sees its
 * message (with Retry when trying again can help). The handler's promise is returned to callers of
 * `executeCommand`, so tests can await a command.
 */
export function registerCommand(
  context: vscode.ExtensionContext,
  log: ComponentLogger,
  id: string,
  handler: (...args: never[]) => unknown,
): void {
  const run = async (...args: never[]): Promise<unknown> => {
    try {
      return await handler(...args);
    } catch (e) {
      reportError(log, id, e, () => void run(...args));
      return undefined;
    }
  };
  context.subscriptions.push(vscode.commands.registerCommand(id, run));
}

/** Logs an error in full and shows its message; `retry` adds a Retry button for errors that may pass. */
export function reportError(log: ComponentLogger, what: string, e: unknown, retry?: () => void): void {
  log.error(`${what} failed`, e);
  const message = e instanceof Error ? e.message : String(e);
  const buttons = retry && isEngineError(e) && RETRYABLE.has(e.code) ? ['Retry', 'Show Logs'] : ['Show Logs'];
  void vscode.window.showErrorMessage(message, ...buttons).then((choice) => {
    if (choice === 'Retry') retry?.();
    else if (choice === 'Show Logs') void vscode.commands.executeCommand(SHOW_LOGS_COMMAND);
  });
}
