import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Session, type KeptResult } from '../../../src/engine/query/index.js';
import { Warehouse } from '../../../src/engine/warehouse.js';

/** A real warehouse in a temp folder whose session keeps results the way the extension does. */
export class EngineFixture {
  private constructor(
    private readonly dir: string,
    readonly warehouse: Warehouse,
    readonly session: Session,
  ) {}

  /** Opens a fresh warehouse with one database `grid` and a session using it. */
  static async open(): Promise<EngineFixture> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-grid-'));
    const warehouse = await Warehouse.open(dir);
    await warehouse.createDatabase('grid');
    const session = await Session.open(warehouse, { database: 'grid' });
    return new EngineFixture(dir, warehouse, session);
  }

  /**
   * Stores `sql`'s rows as table `grid.main.<name>` (so tests can check the grid against DuckDB) and
   * returns the engine's kept result of `SELECT * FROM <name>`, wholly kept.
   */
  async result(name: string, sql: string): Promise<KeptResult> {
    await this.session.run(`CREATE TABLE "${name}" AS ${sql}`);
    const run = await this.session.run(`SELECT * FROM "${name}"`);
    const outcome = run.outcomes[0];
    if (outcome?.status !== 'rows') throw run.error ?? new Error(`no rows from ${name}`);
    await outcome.result.whenComplete();
    return outcome.result;
  }

  /** The first value of `sql`'s first row, as JSON, read on a connection of its own. */
  async scalar(sql: string): Promise<unknown> {
    return this.warehouse.withConnection(async (c) => {
      await c.run('USE grid');
      return (await c.runAndReadAll(sql)).getRowsJson()[0]![0];
    });
  }

  async close(): Promise<void> {
    await this.session.close();
    await this.warehouse.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
