import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Merges `values` into the User settings of the code-server that serves `workbenchUrl` (its state folder
 * holds the opened folder and `user-data/`; MDW_USER_SETTINGS names the file otherwise). Application
 * settings such as `microDataWarehouse.warehouse.folder` apply only there, never from a workspace.
 * Returns a function that puts the file back as it was.
 */
export function setUserSettings(workbenchUrl: string, values: Record<string, unknown>): () => void {
  const folder = new URL(workbenchUrl).searchParams.get('folder')!;
  const file =
    process.env.MDW_USER_SETTINGS ?? path.join(path.dirname(folder), 'user-data', 'User', 'settings.json');
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const settings = before ? (JSON.parse(before) as Record<string, unknown>) : {};
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...settings, ...values }, null, 2));
  return () => {
    if (before !== undefined) fs.writeFileSync(file, before);
    else fs.rmSync(file, { force: true });
  };
}
