import * as path from 'node:path';
import { positionals, str, UsageError, type Command } from '../command.js';

/** The CSV the demo's import worksheet reads: shipped beside the bundle (dist/ → media/demo/). */
export const DEMO_CSV = path.resolve(__dirname, '..', 'media', 'demo', 'region_targets.csv');

/** `mdw demo`: the demo databases and "Getting started" worksheets. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'create the demo databases (sales, crm) and Getting started worksheets',
  usage: 'mdw [--warehouse DIR] demo [--order-lines N]',
  help: `Creates databases sales (products, orders, about 1,000,000 order lines) and crm (regions,
customers), generated with SQL, and a "Getting started" worksheet folder for the signed-in account.
Refuses when sales or crm exist already. The import and export worksheets use the account's own
files folder in the warehouse (SQL may always use it).

  --order-lines N   how many order lines to generate (default 1000000)`,
  options: { 'order-lines': { type: 'string' } },
  async run(ctx) {
    positionals(ctx, 0, 0);
    const n = Number(str(ctx, 'order-lines') ?? '1000000');
    if (!Number.isInteger(n) || n < 1 || n > 100_000_000)
      throw new UsageError('--order-lines takes a whole number from 1 to 100000000');
    const engine = await ctx.engine();
    const t0 = Date.now();
    const r = await engine.createDemo({ csvFile: DEMO_CSV, orderLines: n });
    ctx.stdout.write(
      `created databases ${r.databases.join(' and ')} (${r.orderLines} order lines) and ${r.worksheets} worksheets in /Getting started in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  },
};
