import * as path from 'node:path';
import * as vscode from 'vscode';
import { installCrypto } from '../engine/encryption.js';
import { registerCommand } from './commands.js';
import type { Logger } from './logger.js';
import type { WarehouseService } from './warehouseService.js';

/** Command id of "Install Database Encryption Support". */
export const INSTALL_ENCRYPTION_COMMAND = 'microDataWarehouse.encryption.install';

/**
 * Installs DuckDB's OpenSSL crypto (the httpfs extension) into the warehouse's own extension folder, on
 * the user's explicit request only, in a child process killed at a timeout (FACTS: a silent network can
 * block DuckDB's download for minutes), then reopens the warehouse so new databases are encrypted.
 */
export class EncryptionCommands {
  static register(context: vscode.ExtensionContext, logger: Logger, service: WarehouseService): void {
    const log = logger.component('encryption');
    registerCommand(context, log, INSTALL_ENCRYPTION_COMMAND, async (source?: string) => {
      const extensionsDir = path.join(service.folder, 'extensions');
      const status = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: 'Installing DuckDB encryption support (httpfs)…',
        },
        () => installCrypto(extensionsDir, { timeoutMs: 60_000, ...(source ? { source } : {}) }),
      );
      log.info(`install finished: ${status.available ? 'available' : 'not available'}`);
      await service.close();
      void vscode.window.showInformationMessage(
        `${status.detail} New databases will be encrypted; the warehouse reopens on next use.`,
      );
      return status;
    });
  }
}
