import * as vscode from 'vscode';
import { FileKeyProvider } from '../engine/crypto/keys.js';
import { registerCommand } from './commands.js';
import { SecretKeyProvider } from './accounts/secretKeyProvider.js';
import type { Logger } from './logger.js';
import type { WarehouseService } from './warehouseService.js';

/** Command id of "Use This Warehouse from the Command Line". */
export const CLI_ACCESS_COMMAND = 'microDataWarehouse.cli.share';

/**
 * Lets `mdw` open this window's warehouse: the CLI reads the master key from its key file (`$MDW_KEY_FILE`,
 * else `master.key` in its config folder), VS Code from its secret storage. On the user's request only, the
 * key is written to that file (0600, never over another key); `mdw --warehouse FOLDER …` then shares the
 * warehouse service with every window.
 */
export class CliAccess {
  static register(context: vscode.ExtensionContext, logger: Logger, service: WarehouseService): void {
    const log = logger.component('cli');
    registerCommand(context, log, CLI_ACCESS_COMMAND, async (options?: { quiet?: boolean }) => {
      const file = new FileKeyProvider({ env: process.env });
      const key = await new SecretKeyProvider(context.secrets).getMasterKey();
      try {
        file.adopt(key);
      } finally {
        key.fill(0);
      }
      log.info('master key shared with the command line');
      const command = `mdw --warehouse ${shellQuote(service.folder)} whoami`;
      if (!options?.quiet) {
        void vscode.window
          .showInformationMessage(
            `mdw can now open this warehouse (its master key is in ${file.file}, readable only by you). Sign in once with: mdw --warehouse ${shellQuote(service.folder)} signin EMAIL`,
            'Copy mdw Command',
          )
          .then((choice) => {
            if (choice) void vscode.env.clipboard.writeText(command);
          });
      }
      return { keyFile: file.file, warehouse: service.folder };
    });
  }
}

function shellQuote(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
