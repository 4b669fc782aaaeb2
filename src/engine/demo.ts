import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from './errors.js';
import { quoteString } from './names.js';
import type { TreeSpec, Worksheets } from './store/worksheets.js';
import type { Warehouse } from './warehouse.js';

/** Options for {@link createDemo}. */
export interface DemoOptions {
  /**
   * The CSV file the import worksheet reads (the extension ships media/demo/region_targets.csv). It is copied into
   * the space's `files` folder, which the space's SQL may use, beside the export worksheet's Parquet file.
   */
  csvFile: string;
  /** Order lines to generate (default 1,000,000; tests use fewer). */
  orderLines?: number;
  /** Where to put the "Getting started" worksheets; omitted, no worksheets are made. */
  worksheets?: Worksheets;
}

/** What {@link createDemo} made. */
export interface DemoResult {
  databases: string[];
  orderLines: number;
  worksheets: number;
}

/** The folder of a space where the demo keeps its files (inside the space, so its SQL may read and write them). */
export function demoFilesDir(warehouse: Warehouse): string {
  return path.join(warehouse.spaceDir, 'files');
}

/** The file the demo's export worksheet writes in {@link demoFilesDir}. */
export const DEMO_PARQUET = 'mdw-demo-revenue-by-region.parquet';

/** Name of the worksheet folder the demo creates. */
export const DEMO_FOLDER = 'Getting started';

/** The demo's generated tables: deterministic (hash-based), so every machine gets the same data. */
function demoSql(orderLines: number): { crm: string; sales: string } {
  const orders = Math.max(1, Math.round(orderLines / 4));
  const customers = Math.max(10, Math.min(20_000, Math.round(orders / 12)));
  const crm = `
CREATE TABLE crm.main.regions (region_code VARCHAR PRIMARY KEY, region_name VARCHAR NOT NULL);
INSERT INTO crm.main.regions VALUES ('NORTH', 'North'), ('SOUTH', 'South'), ('EAST', 'East'), ('WEST', 'West'), ('CENTRAL', 'Central');
CREATE TABLE crm.main.customers (
  customer_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, email VARCHAR, region_code VARCHAR, signed_up DATE);
INSERT INTO crm.main.customers
SELECT i,
       (['Ada', 'Bo', 'Chen', 'Dara', 'Émile', 'Femi', 'Grete', 'Hiro', 'Ines', 'Jonas'])[(1 + hash(i) % 10)::INTEGER] || ' ' ||
       (['Ng', 'Silva', 'Okafor', 'Müller', 'Kowalski', 'Tanaka', 'Dubois', 'Novak', 'Haddad', 'Berg'])[(1 + hash(i * 7) % 10)::INTEGER],
       'customer' || i || '@example.com',
       (['NORTH', 'SOUTH', 'EAST', 'WEST', 'CENTRAL'])[(1 + hash(i * 13) % 5)::INTEGER],
       DATE '2022-01-01' + (hash(i * 17) % 1000)::INTEGER
FROM range(1, ${customers + 1}) t(i);`;
  const sales = `
CREATE TABLE sales.main.products (
  product_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, category VARCHAR NOT NULL, unit_price DECIMAL(10,2) NOT NULL);
INSERT INTO sales.main.products
SELECT i,
       (['Trail', 'City', 'Studio', 'Field', 'Harbor'])[(1 + hash(i) % 5)::INTEGER] || ' ' ||
       (['Lamp', 'Chair', 'Kettle', 'Backpack', 'Notebook', 'Jacket', 'Speaker', 'Mug'])[(1 + hash(i * 3) % 8)::INTEGER] || ' ' || i,
       (['Home', 'Outdoor', 'Office', 'Kitchen', 'Apparel'])[(1 + hash(i * 5) % 5)::INTEGER],
       (5 + (hash(i * 11) % 49500)::INTEGER / 100.0)::DECIMAL(10,2)
FROM range(1, 501) t(i);
CREATE TABLE sales.main.orders (
  order_id BIGINT PRIMARY KEY, customer_id INTEGER NOT NULL, ordered_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL);
INSERT INTO sales.main.orders
SELECT i,
       1 + (hash(i) % ${customers})::INTEGER,
       TIMESTAMP '2024-01-01' + to_seconds((hash(i * 3) % (730 * 86400))::BIGINT),
       CASE WHEN hash(i * 5) % 20 = 0 THEN 'returned' WHEN hash(i * 5) % 20 = 1 THEN 'cancelled' ELSE 'shipped' END
FROM range(1, ${orders + 1}) t(i);
CREATE TABLE sales.main.order_lines (
  order_id BIGINT NOT NULL, line_no INTEGER NOT NULL, product_id INTEGER NOT NULL,
  quantity INTEGER NOT NULL, unit_price DECIMAL(10,2) NOT NULL);
INSERT INTO sales.main.order_lines
SELECT o.order_id, l.line_no, p.product_id, 1 + (hash(o.order_id * 31 + l.line_no) % 5)::INTEGER, p.unit_price
FROM sales.main.orders o
CROSS JOIN range(1, 5) l(line_no)
JOIN sales.main.products p ON p.product_id = 1 + (hash(o.order_id * 17 + l.line_no) % 500)::INTEGER
WHERE (o.order_id - 1) * 4 + l.line_no <= ${orderLines};`;
  return { crm, sales };
}

/** The "Getting started" worksheets: a cross-database join, a rolled-back transaction, a CSV import, a Parquet export, a window-function report. */
export function demoWorksheets(csvFile: string, exportDir: string): TreeSpec[] {
  const parquet = path.join(exportDir, DEMO_PARQUET);
  return [
    {
      name: DEMO_FOLDER,
      children: [
        {
          name: '1 Revenue by region (cross-database join)',
          database: 'sales',
          sql: `-- sales and crm are two databases; one query joins them.
SELECT r.region_name,
       count(DISTINCT o.order_id)          AS orders,
       sum(l.quantity * l.unit_price)      AS revenue
  FROM sales.main.orders o
  JOIN sales.main.order_lines l ON l.order_id = o.order_id
  JOIN crm.main.customers c      ON c.customer_id = o.customer_id
  JOIN crm.main.regions r        ON r.region_code = c.region_code
 WHERE o.status = 'shipped'
 GROUP BY r.region_name
 ORDER BY revenue DESC;
`,
        },
        {
          name: '2 A transaction that is rolled back',
          database: 'sales',
          sql: `-- Run the statements one at a time (Ctrl+Enter): the transaction spans runs.
BEGIN;
UPDATE sales.main.products SET unit_price = unit_price * 2 WHERE category = 'Kitchen';
SELECT category, avg(unit_price) AS avg_price FROM sales.main.products GROUP BY ALL ORDER BY 1;
ROLLBACK;
-- Prices are back to what they were:
SELECT category, avg(unit_price) AS avg_price FROM sales.main.products GROUP BY ALL ORDER BY 1;
`,
        },
        {
          name: '3 Import a CSV file',
          database: 'crm',
          sql: `-- The extension ships this CSV; DuckDB reads it directly.
CREATE OR REPLACE TABLE crm.main.region_targets AS
SELECT * FROM read_csv(${quoteString(csvFile)});

SELECT t.region_name, t.manager, t.target_revenue
  FROM crm.main.region_targets t
 ORDER BY t.target_revenue DESC;
`,
        },
        {
          name: '4 Export to Parquet',
          database: 'sales',
          sql: `-- COPY writes the result straight from DuckDB; no rows pass through JavaScript.
COPY (
  SELECT c.region_code, date_trunc('month', o.ordered_at) AS month, sum(l.quantity * l.unit_price) AS revenue
    FROM sales.main.orders o
    JOIN sales.main.order_lines l ON l.order_id = o.order_id
    JOIN crm.main.customers c ON c.customer_id = o.customer_id
   GROUP BY ALL
) TO ${quoteString(parquet)} (FORMAT parquet);

SELECT count(*) AS rows_written FROM read_parquet(${quoteString(parquet)});
`,
        },
        {
          name: '5 Monthly report with window functions',
          database: 'sales',
          sql: `WITH monthly AS (
  SELECT p.category,
         date_trunc('month', o.ordered_at)::DATE AS month,
         sum(l.quantity * l.unit_price)          AS revenue
    FROM sales.main.orders o
    JOIN sales.main.order_lines l ON l.order_id = o.order_id
    JOIN sales.main.products p    ON p.product_id = l.product_id
   WHERE o.status = 'shipped'
   GROUP BY ALL
)
SELECT category, month, revenue,
       sum(revenue) OVER (PARTITION BY category ORDER BY month)          AS running_total,
       revenue / lag(revenue) OVER (PARTITION BY category ORDER BY month) - 1 AS growth,
       rank() OVER (PARTITION BY month ORDER BY revenue DESC)            AS rank_in_month
  FROM monthly
 ORDER BY month, rank_in_month;
`,
        },
      ],
    },
  ];
}

/**
 * Creates the demo: databases `sales` (products, orders, order_lines) and `crm` (regions, customers),
 * generated with SQL, and, given `worksheets`, a "Getting started" folder. Refuses (DATABASE_EXISTS)
 * when either database exists, so it never touches a user's data.
 */
export async function createDemo(warehouse: Warehouse, options: DemoOptions): Promise<DemoResult> {
  const orderLines = options.orderLines ?? 1_000_000;
  const existing = (await warehouse.listDatabases()).map((d) => d.name.toLowerCase());
  for (const name of ['sales', 'crm']) {
    if (existing.includes(name)) {
      throw new EngineError(
        'DATABASE_EXISTS',
        `A database named ${name} exists already; the demo needs sales and crm.`,
      );
    }
  }
  if (options.worksheets) {
    const top = await options.worksheets.children(null);
    if (top.some((n) => n.name.toLowerCase() === DEMO_FOLDER.toLowerCase())) {
      throw new EngineError('NAME_TAKEN', `A folder named "${DEMO_FOLDER}" exists already.`);
    }
  }
  await warehouse.createDatabase('crm');
  await warehouse.createDatabase('sales');
  const sql = demoSql(orderLines);
  try {
    await warehouse.withConnection(async (c) => {
      await c.run(sql.crm);
      await c.run(sql.sales);
    });
  } catch (e) {
    for (const name of ['sales', 'crm'])
      await warehouse.dropDatabase(name, { confirm: true }).catch(() => undefined);
    throw e;
  }
  warehouse.notifyCatalogChanged({ databases: ['sales', 'crm'] });
  let worksheets = 0;
  if (options.worksheets) {
    const dir = demoFilesDir(warehouse);
    fs.mkdirSync(dir, { recursive: true });
    const csv = path.join(dir, path.basename(options.csvFile));
    fs.copyFileSync(options.csvFile, csv);
    const spec = demoWorksheets(csv, dir);
    worksheets = (await options.worksheets.createTree(null, spec)).worksheets;
  }
  return { databases: ['crm', 'sales'], orderLines, worksheets };
}
