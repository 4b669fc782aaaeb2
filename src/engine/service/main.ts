// The warehouse service process: `node service.js WAREHOUSE_DIR` (started by the first client; see client.ts).
import { errorLogText } from '../errors.js';
import { DEFAULT_IDLE_MS, WarehouseServer } from './server.js';

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} [service ${process.pid}] ${line}\n`);
}

/** Idle time from $MDW_SERVICE_IDLE_SECONDS (a positive number), else the default. */
function idleMs(): number {
  const seconds = Number(process.env.MDW_SERVICE_IDLE_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_IDLE_MS;
}

const warehouseDir = process.argv[2];
if (!warehouseDir) {
  log('usage: service.js WAREHOUSE_DIR');
  process.exit(2);
}
let server: WarehouseServer | undefined;
process.on('uncaughtException', (e) => {
  log(`uncaught: ${errorLogText(e)}`);
  process.exit(1);
});
process.on('unhandledRejection', (e) => log(`unhandled rejection: ${errorLogText(e)}`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void (server ? server.stop(signal) : process.exit(0)));
}
WarehouseServer.start({ warehouseDir, idleMs: idleMs(), log, onStopped: () => process.exit(0) }).then(
  (s) => (server = s),
  (e: unknown) => {
    log(`could not start: ${errorLogText(e)}`);
    process.exit(1);
  },
);
