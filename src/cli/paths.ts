import * as os from 'node:os';
import * as path from 'node:path';

/** The default warehouse folder: $MDW_WAREHOUSE, else the per-user data folder of the platform. */
export function defaultWarehouseDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MDW_WAREHOUSE) return path.resolve(env.MDW_WAREHOUSE);
  return path.join(userDataDir(env), 'warehouse');
}

/** Per-user data folder: ~/.local/share/microdatawarehouse, ~/Library/Application Support/…, %LOCALAPPDATA%\…. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'MicroDataWarehouse');
    case 'win32':
      return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'MicroDataWarehouse');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'microdatawarehouse');
  }
}
