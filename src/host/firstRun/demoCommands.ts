import * as vscode from 'vscode';
import { DEMO_FOLDER, type DemoResult } from '../../engine/demo.js';
import type { AccountManager } from '../accounts/accountManager.js';
import { registerCommand } from '../commands.js';
import type { Logger } from '../logger.js';
import type { WarehouseService } from '../warehouseService.js';

/** Command id of "Create Demo Warehouse". */
export const CREATE_DEMO_COMMAND = 'microDataWarehouse.demo.create';
const DECLINED_KEY = 'microDataWarehouse.demo.declined';

/**
 * The first-run demo: offered (never forced) once an account with an empty warehouse signs in, and
 * always available as a command. It makes the sales and crm databases and the "Getting started"
 * worksheets (see src/engine/demo.ts).
 */
export class DemoCommands {
  private offered = false;

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly accounts: AccountManager,
    private readonly service: WarehouseService,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    accounts: AccountManager,
    service: WarehouseService,
    refresh: () => void,
  ): DemoCommands {
    const log = logger.component('demo');
    const demo = new DemoCommands(context, accounts, service);
    registerCommand(context, log, CREATE_DEMO_COMMAND, async (options?: { orderLines?: number }) => {
      const result = await demo.create(options?.orderLines);
      refresh();
      log.info(`demo created: ${result.orderLines} order lines, ${result.worksheets} worksheets`);
      void vscode.window.showInformationMessage(
        `The demo is ready: databases sales and crm, and ${result.worksheets} worksheets in "${DEMO_FOLDER}".`,
      );
      return result;
    });
    context.subscriptions.push(
      accounts.onDidChangeAccount(
        (a) => a && void demo.offer().catch((e: unknown) => log.error('demo offer failed', e)),
      ),
    );
    if (accounts.current) void demo.offer().catch((e: unknown) => log.error('demo offer failed', e));
    return demo;
  }

  /** Creates the demo for the signed-in account, with a progress notification. */
  async create(orderLines?: number): Promise<DemoResult> {
    await this.accounts.require();
    const engine = await this.service.engine();
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'Creating the demo warehouse (about 1M order lines)…',
      },
      () =>
        engine.createDemo({
          csvFile: this.context.asAbsolutePath('media/demo/region_targets.csv'),
          ...(orderLines ? { orderLines } : {}),
        }),
    );
  }

  /** Offers the demo once per window when the signed-in account has no databases and no worksheets. */
  private async offer(): Promise<void> {
    if (this.offered || this.context.globalState.get<boolean>(DECLINED_KEY)) return;
    // Extension tests drive the demo through its command; a toast would only get in their way.
    if (this.context.extensionMode === vscode.ExtensionMode.Test) return;
    const current = this.accounts.current;
    if (!current) return;
    const engine = await this.service.engine();
    if ((await engine.databases.list()).databases.length > 0) return;
    if ((await current.account.worksheets.children(null)).length > 0) return;
    this.offered = true;
    const choice = await vscode.window.showInformationMessage(
      'Your warehouse is empty. Load a demo (sales and crm databases, about 1M order lines, and Getting started worksheets)?',
      'Load Demo',
      'Not Now',
      "Don't Ask Again",
    );
    if (choice === 'Load Demo') await vscode.commands.executeCommand(CREATE_DEMO_COMMAND);
    if (choice === "Don't Ask Again") await this.context.globalState.update(DECLINED_KEY, true);
  }
}
