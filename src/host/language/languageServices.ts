import * as vscode from 'vscode';
import { errorLogText } from '../../engine/errors.js';
import type { Engine, EngineLanguage } from '../../engine/api.js';
import type { LanguageScope } from '../../engine/language/languageService.js';
import type { ComponentLogger } from '../logger.js';
import { documentKey, type WarehouseService } from '../warehouseService.js';

/** Documents the language features serve: DuckDB SQL everywhere, plain SQL files too. */
export const SQL_SELECTOR: vscode.DocumentSelector = [{ language: 'duckdb-sql' }, { language: 'sql' }];

/** Language id of DuckDB SQL documents (worksheets and `.duckdb.sql` files). */
export const DUCKDB_SQL = 'duckdb-sql';

/**
 * Hands out the engine's LanguageService of the current warehouse. A `duckdb-sql` document opens the
 * warehouse when needed; a plain `.sql` file (which may be meant for another database) is served only
 * once the warehouse is open, so editing unrelated SQL never loads DuckDB.
 */
export class LanguageServices implements vscode.Disposable {
  private current: { warehouse: Engine; service: EngineLanguage } | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    readonly warehouse: WarehouseService,
    readonly log: ComponentLogger,
  ) {
    this.subscription = warehouse.onDidChangeWarehouse(() => {
      if (!this.warehouse.isOpen) this.drop();
    });
  }

  /** The service for `document`, or undefined when it should not (or cannot) be served. */
  async forDocument(document: vscode.TextDocument): Promise<EngineLanguage | undefined> {
    if (document.languageId !== DUCKDB_SQL && !this.warehouse.isOpen) return undefined;
    try {
      const warehouse = await this.warehouse.engine();
      if (this.current?.warehouse !== warehouse || warehouse.isClosed) {
        this.drop();
        const service = warehouse.language();
        this.current = { warehouse, service };
        void service.warm().catch((e) => this.log.debug(`language warm-up failed: ${errorLogText(e)}`));
      }
      return this.current.service;
    } catch (e) {
      this.log.debug(`language features unavailable: ${errorLogText(e)}`);
      return undefined;
    }
  }

  /** The database and schema the document's session uses, when it has one. */
  scope(document: vscode.TextDocument): LanguageScope {
    const state = this.warehouse.state(documentKey(document));
    return state ? { database: state.database, schema: state.schema } : {};
  }

  dispose(): void {
    this.subscription.dispose();
    this.drop();
  }

  private drop(): void {
    this.current?.service.dispose();
    this.current = undefined;
  }
}
