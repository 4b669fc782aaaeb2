import * as vscode from 'vscode';

/** Section of every setting in package.json. */
const SECTION = 'microDataWarehouse';

/** Setting keys (relative to the section); each is declared in package.json. */
export const SETTINGS = {
  warehouseFolder: 'warehouse.folder',
  memoryLimit: 'engine.memoryLimit',
  threads: 'engine.threads',
  pageSize: 'results.pageSize',
} as const;

/** The extension's settings, read once per call so a change applies to the next use. */
export interface Settings {
  /** Absolute path of the warehouse folder, or undefined for the default in global storage. */
  warehouseFolder: string | undefined;
  memoryLimit: string | undefined;
  threads: number | undefined;
  pageSize: number;
}

/** Reads the settings, turning empty values into "use the default". */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const folder = c.get<string>(SETTINGS.warehouseFolder, '').trim();
  const memory = c.get<string>(SETTINGS.memoryLimit, '').trim();
  const threads = c.get<number>(SETTINGS.threads, 0);
  const pageSize = c.get<number>(SETTINGS.pageSize, 1000);
  return {
    warehouseFolder: folder ? expandHome(folder) : undefined,
    memoryLimit: memory || undefined,
    threads: Number.isInteger(threads) && threads > 0 ? threads : undefined,
    pageSize: Number.isInteger(pageSize) && pageSize > 0 ? Math.min(pageSize, 100_000) : 1000,
  };
}

/** True when `event` touches one of the settings that shape how the warehouse is opened. */
export function affectsWarehouse(event: vscode.ConfigurationChangeEvent): boolean {
  // pageSize is read when a session opens, so it needs no reopen.
  return [SETTINGS.warehouseFolder, SETTINGS.memoryLimit, SETTINGS.threads].some((k) =>
    event.affectsConfiguration(`${SECTION}.${k}`),
  );
}

function expandHome(folder: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (home && (folder === '~' || folder.startsWith('~/'))) return home + folder.slice(1);
  return folder;
}
